//! Starting the daemon as a detached process for `daemon start`: the
//! same executable runs `daemon run` in a session of its own, with its
//! output in the log file, and this waits until it answers on the socket.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::ipc::{self, Op};
use crate::paths::Paths;

/// How long `start` waits for the new daemon to answer.
pub const START_TIMEOUT: Duration = Duration::from_secs(15);

/// Starts `daemon run` detached, logging to `log_file` (at `log_level`
/// when given), and waits until it answers `status`. Returns its pid.
pub async fn start_detached(
    paths: &Paths,
    log_file: &Path,
    log_level: Option<&str>,
) -> Result<u32> {
    let mut cmd = std::process::Command::new(current_exe()?);
    crate::secret_env::scrub(&mut cmd);
    cmd.args(["daemon", "run", "--log-file"]).arg(log_file);
    if let Some(level) = log_level {
        cmd.args(["--log-level", level]);
    }
    // Anything the daemon says before its logging is up (a bad config)
    // lands in the same file.
    let early = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_file)
        .map_err(|e| Error::io(format!("cannot open {}", log_file.display()), e))?;
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(early);
    detach(&mut cmd);
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::io("cannot start the daemon", e))?;
    let socket = paths.socket();
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Some(exit) = child
            .try_wait()
            .map_err(|e| Error::io("cannot watch the daemon", e))?
        {
            return Err(Error::Other(format!(
                "the daemon exited at once ({exit}); the end of {}:\n{}",
                log_file.display(),
                tail(log_file, 10)
            )));
        }
        if let Some(resp) = ipc::call(&socket, Op::Status).await?
            && resp.ok
        {
            break;
        }
        if Instant::now() >= deadline {
            return Err(Error::Timeout(format!(
                "the daemon (pid {}) did not answer on {} within {}s; see {}",
                child.id(),
                socket.display(),
                START_TIMEOUT.as_secs(),
                log_file.display()
            )));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Ok(child.id())
}

/// Makes the daemon its own session leader, so closing the terminal that
/// started it does not hang it up.
fn detach(cmd: &mut std::process::Command) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: setsid is async-signal-safe and touches no memory of the
        // parent; it is all that runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
}

/// The running executable, which the daemon runs as.
pub fn current_exe() -> Result<PathBuf> {
    std::env::current_exe().map_err(|e| Error::io("cannot find the mcp-auth executable", e))
}

/// The last `n` lines of a file, for error messages.
fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
