//! One daemon per installation: the PID file in the runtime directory is
//! held locked for the daemon's whole life. The lock, not the file's
//! presence, says whether a daemon runs, so a daemon killed with SIGKILL
//! leaves nothing that blocks the next start (the OS drops the lock with the
//! process), and a recycled PID is never mistaken for a daemon.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::paths::Paths;

/// Proof that this process is the daemon; dropping it lets another start.
pub struct Instance {
    file: File,
    path: PathBuf,
}

impl Instance {
    /// Takes the daemon's place, or says which process has it.
    pub fn acquire(paths: &Paths) -> Result<Instance> {
        let path = paths.daemon_pid_file();
        let mut file = open(&path)?;
        // `running()` takes the lock shared for an instant to look; a few
        // tries tell that apart from a daemon that holds it.
        let mut tries = 0;
        let locked = loop {
            match file.try_lock() {
                Err(TryLockError::WouldBlock) if tries < 10 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => break other,
            }
        };
        match locked {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let pid = read_pid(&mut file)
                    .map(|p| format!(" (pid {p})"))
                    .unwrap_or_default();
                return Err(Error::Other(format!(
                    "the mcp-auth daemon is already running{pid}\n  hint: `mcp-auth daemon status` \
                     shows it; `mcp-auth daemon stop` stops it"
                )));
            }
            Err(TryLockError::Error(e)) => {
                return Err(Error::io(format!("cannot lock {}", path.display()), e));
            }
        }
        let pid = std::process::id();
        file.set_len(0)
            .and_then(|_| file.rewind())
            .and_then(|_| writeln!(file, "{pid}"))
            .and_then(|_| file.flush())
            .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
        Ok(Instance { file, path })
    }

    /// The PID of the running daemon, if one runs.
    pub fn running(paths: &Paths) -> Option<u32> {
        let path = paths.daemon_pid_file();
        let mut file = OpenOptions::new().read(true).open(&path).ok()?;
        match file.try_lock_shared() {
            // Nobody holds it: no daemon (the lock goes when this file does).
            Ok(()) => None,
            Err(TryLockError::WouldBlock) => read_pid(&mut file).or(Some(0)),
            Err(TryLockError::Error(_)) => None,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        // A clean exit leaves an empty, unlocked file behind.
        let _ = self.file.set_len(0);
    }
}

fn open(path: &Path) -> Result<File> {
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
        .map_err(|e| Error::io(format!("cannot open {}", path.display()), e))
}

fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_instance_is_refused_until_the_first_goes() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        crate::paths::ensure_private_dir(&paths.runtime_dir).unwrap();
        assert_eq!(Instance::running(&paths), None);
        let first = Instance::acquire(&paths).unwrap();
        assert_eq!(Instance::running(&paths), Some(std::process::id()));
        let e = Instance::acquire(&paths).err().unwrap();
        assert!(
            e.to_string()
                .contains(&format!("already running (pid {})", std::process::id())),
            "{e}"
        );
        drop(first);
        assert_eq!(Instance::running(&paths), None);
        Instance::acquire(&paths).unwrap();
    }
}
