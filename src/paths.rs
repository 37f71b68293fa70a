//! Where mcp-auth keeps its files.
//!
//! `MCP_AUTH_HOME=DIR` puts everything under DIR (tests, portable installs):
//! `DIR/config.toml`, `DIR/data/`, `DIR/run/`. Otherwise the platform's
//! directories from the `directories` crate are used. Every directory is
//! private to the user (0700); files are created 0600 (the process umask is
//! 077, see `lib::run`).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub const HOME_ENV: &str = "MCP_AUTH_HOME";

#[derive(Debug, Clone)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub runtime_dir: PathBuf,
    /// The keyring service name entries are stored under. Installations with
    /// their own `MCP_AUTH_HOME` get their own, so they never share entries
    /// in one OS keyring.
    pub keyring_service: String,
}

impl Paths {
    pub fn from_env() -> Result<Paths> {
        if let Some(home) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
            let home = PathBuf::from(home);
            let home = if home.is_relative() {
                std::env::current_dir()
                    .map_err(|e| Error::io("cannot resolve MCP_AUTH_HOME", e))?
                    .join(home)
            } else {
                home
            };
            return Ok(Paths::under(&home));
        }
        let dirs = directories::ProjectDirs::from("", "", "mcp-auth").ok_or_else(|| {
            Error::Config(format!(
                "cannot find a home directory for config and data; set {HOME_ENV}=DIR"
            ))
        })?;
        let data_dir = dirs.data_dir().to_path_buf();
        let runtime_dir = dirs
            .runtime_dir()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| data_dir.join("run"));
        Ok(Paths {
            config_dir: dirs.config_dir().to_path_buf(),
            data_dir,
            runtime_dir,
            keyring_service: "mcp-auth".to_string(),
        })
    }

    pub fn under(home: &Path) -> Paths {
        Paths {
            config_dir: home.to_path_buf(),
            data_dir: home.join("data"),
            runtime_dir: home.join("run"),
            keyring_service: format!("mcp-auth@{}", home.display()),
        }
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    pub fn database(&self) -> PathBuf {
        self.data_dir.join("mcp-auth.db")
    }

    pub fn secrets_file(&self) -> PathBuf {
        self.data_dir.join("secrets.json")
    }

    pub fn lock_dir(&self) -> PathBuf {
        self.runtime_dir.join("locks")
    }

    pub fn socket(&self) -> PathBuf {
        self.runtime_dir.join("daemon.sock")
    }

    /// Held locked by the running daemon for its whole life, and holds its
    /// PID: a second daemon cannot take the lock, `daemon stop` reads the PID.
    pub fn daemon_pid_file(&self) -> PathBuf {
        self.runtime_dir.join("daemon.pid")
    }

    /// Where `daemon start` sends the detached daemon's logs unless a log
    /// file is configured.
    pub fn daemon_log(&self) -> PathBuf {
        self.data_dir.join("daemon.log")
    }
}

/// Creates `dir` (and parents) as a private directory, or checks an existing
/// one: it must belong to this user; group and other permission bits are
/// removed, because a readable data dir would expose metadata and the file
/// store. Parents it creates are 0700 too: the lock dir's parent is the
/// socket's directory, which the daemon refuses unless it is exactly 0700.
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| Error::io(format!("cannot create directory {}", dir.display()), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let meta = std::fs::metadata(dir)
            .map_err(|e| Error::io(format!("cannot read {}", dir.display()), e))?;
        let uid = current_uid();
        if meta.uid() != uid {
            return Err(Error::Config(format!(
                "{} belongs to another user (uid {}, expected {uid}); refusing to keep credentials there",
                dir.display(),
                meta.uid()
            )));
        }
        let mode = meta.mode() & 0o777;
        if mode != 0o700 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| {
                Error::io(
                    format!(
                        "{} has incorrect permissions (expected 700, got {mode:o}) and cannot be fixed",
                        dir.display()
                    ),
                    e,
                )
            })?;
        }
    }
    Ok(())
}

/// The configuration file's text (`None` when there is none), and a notice
/// when its permissions had to be tightened.
///
/// The file names programs mcp-auth runs (the browser command) and where
/// tokens go (endpoints), so only its owner may have written it: a file or
/// directory that belongs to another user is refused; the user's own, when
/// group- or world-writable, loses those bits before it is read (as the
/// data directory does), and is never read while still writable by others.
/// The checks are made on the opened file, so it cannot be swapped between
/// the check and the read.
pub fn read_config_file(path: &Path) -> Result<Option<(String, Option<String>)>> {
    use std::io::Read;
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(format!("cannot read {}", path.display()), e)),
    };
    let mut notices = Vec::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let me = current_uid();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let meta = std::fs::metadata(dir)
                .map_err(|e| Error::io(format!("cannot read {}", dir.display()), e))?;
            if let Some(fixed) = untrusted(dir, meta.uid(), meta.mode(), me, 0o700)? {
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(fixed))
                    .map_err(|e| Error::io(format!("cannot tighten {}", dir.display()), e))?;
                notices.push(format!(
                    "{} was writable by other users; its permissions are now {fixed:o}",
                    dir.display()
                ));
            }
        }
        let meta = file
            .metadata()
            .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        if let Some(fixed) = untrusted(path, meta.uid(), meta.mode(), me, 0o600)? {
            file.set_permissions(std::fs::Permissions::from_mode(fixed))
                .map_err(|e| Error::io(format!("cannot tighten {}", path.display()), e))?;
            notices.push(format!(
                "{} was writable by other users; its permissions are now {fixed:o}",
                path.display()
            ));
        }
    }
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    Ok(Some((
        text,
        (!notices.is_empty()).then(|| notices.join("; ")),
    )))
}

/// The rule [`read_config_file`] applies to the file and its directory:
/// another owner is an error; group or other write access asks for the
/// mode returned (`private` for the file, the owner's bits kept for the
/// directory); `None` when it is fine as it is.
#[cfg(unix)]
fn untrusted(path: &Path, uid: u32, mode: u32, me: u32, private: u32) -> Result<Option<u32>> {
    if uid != me {
        return Err(Error::Config(format!(
            "{} belongs to another user (uid {uid}, not {me}); mcp-auth runs the commands its \
             configuration names, so it only reads one you own. If it is yours, \
             `chown {me} {}`; if not, move it away",
            path.display(),
            path.display()
        )));
    }
    let mode = mode & 0o7777;
    if mode & 0o022 == 0 {
        return Ok(None);
    }
    Ok(Some(if private == 0o600 {
        private
    } else {
        mode & 0o700
    }))
}

/// Creates `dir` as a private directory, or checks an existing one without
/// changing it: it must belong to this user and have mode 700 exactly. For
/// the socket's directory, where a wrong mode means someone else may have
/// put (or could replace) the socket, a clear refusal is safer than a fix.
pub fn check_private_dir(dir: &Path) -> Result<()> {
    if !dir.exists() {
        return ensure_private_dir(dir);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::symlink_metadata(dir)
            .map_err(|e| Error::io(format!("cannot read {}", dir.display()), e))?;
        describe_private_dir(dir, meta.is_dir(), meta.uid(), meta.mode(), current_uid())?;
    }
    Ok(())
}

/// The rule [`check_private_dir`] applies, apart from the file system.
#[cfg(unix)]
fn describe_private_dir(dir: &Path, is_dir: bool, uid: u32, mode: u32, me: u32) -> Result<()> {
    if !is_dir {
        return Err(Error::Config(format!(
            "{} is not a directory; move it aside",
            dir.display()
        )));
    }
    if uid != me {
        return Err(Error::Config(format!(
            "{} belongs to another user (uid {uid}, expected {me}); refusing to use it",
            dir.display()
        )));
    }
    let mode = mode & 0o777;
    if mode != 0o700 {
        return Err(Error::Config(format!(
            "{} has incorrect permissions (expected 700, got {mode:o}); fix it with `chmod 700 {}`",
            dir.display(),
            dir.display()
        )));
    }
    Ok(())
}

#[cfg(unix)]
pub fn current_uid() -> u32 {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() }
}

/// Writes `contents` to `path` atomically with mode 0600: a temporary file in
/// the same directory, fsynced, then renamed over the target, so a crash
/// leaves either the old or the new file, never half of one.
pub fn write_private_file(path: &Path, contents: &[u8]) -> Result<()> {
    write_private_file_with(path, |w| w.write_all(contents))
}

/// [`write_private_file`] with the contents written by `fill` into a
/// buffered writer, so a large file is never held whole in memory.
pub fn write_private_file_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .ok_or_else(|| Error::Other(format!("{} has no parent directory", path.display())))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let write = || -> std::io::Result<()> {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut out = std::io::BufWriter::new(opts.open(&tmp)?);
        fill(&mut out)?;
        out.flush()?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(format!("cannot write {}", path.display()), e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_layout_keeps_everything_under_one_dir() {
        let p = Paths::under(Path::new("/x"));
        assert_eq!(p.config_file(), Path::new("/x/config.toml"));
        assert_eq!(p.database(), Path::new("/x/data/mcp-auth.db"));
        assert_eq!(p.socket(), Path::new("/x/run/daemon.sock"));
    }

    #[cfg(unix)]
    #[test]
    fn a_config_file_writable_by_others_is_tightened_before_it_is_read() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("mcp-auth");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o775)).unwrap();
        let file = dir.join("config.toml");
        std::fs::write(&file, "browser = \"x\"\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
        let (text, notice) = read_config_file(&file).unwrap().unwrap();
        assert_eq!(text, "browser = \"x\"\n");
        let notice = notice.unwrap();
        assert!(
            notice.contains("now 600") && notice.contains("now 700"),
            "{notice}"
        );
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&dir), 0o700);
        // Said once: the next read finds nothing to fix.
        assert_eq!(read_config_file(&file).unwrap().unwrap().1, None);
        // A group-readable file is fine as it is.
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert_eq!(read_config_file(&file).unwrap().unwrap().1, None);
        assert_eq!(read_config_file(&dir.join("none.toml")).unwrap(), None);
    }

    #[test]
    fn a_config_file_of_another_user_is_refused_with_the_fix() {
        let e = untrusted(Path::new("/c/config.toml"), 1001, 0o100600, 1000, 0o600).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("belongs to another user") && text.contains("chown 1000 /c/config.toml"),
            "{text}"
        );
        assert_eq!(e.exit_code(), crate::error::exit::CONFIG);
        assert_eq!(
            untrusted(Path::new("/c"), 1000, 0o40777, 1000, 0o700).unwrap(),
            Some(0o700)
        );
        assert_eq!(
            untrusted(Path::new("/c"), 1000, 0o40755, 1000, 0o700).unwrap(),
            None
        );
    }

    #[test]
    fn private_dir_is_tightened_to_0700() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("d");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        ensure_private_dir(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }

    #[cfg(unix)]
    #[test]
    fn parents_created_on_the_way_are_private_too() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let paths = Paths::under(tmp.path());
        // A refresh lock taken before the daemon ever ran creates the
        // runtime dir on the way to the lock dir; the daemon must accept it.
        ensure_private_dir(&paths.lock_dir()).unwrap();
        for d in [tmp.path().join("run"), paths.lock_dir()] {
            let mode = std::fs::metadata(&d).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", d.display());
        }
        check_private_dir(&paths.runtime_dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn checked_dir_must_be_ours_and_exactly_0700() {
        let d = Path::new("/run/x");
        describe_private_dir(d, true, 7, 0o40700, 7).unwrap();
        let e = describe_private_dir(d, true, 7, 0o40755, 7).unwrap_err();
        assert!(
            e.to_string()
                .contains("/run/x has incorrect permissions (expected 700, got 755)"),
            "{e}"
        );
        let e = describe_private_dir(d, true, 8, 0o40700, 7).unwrap_err();
        assert!(e.to_string().contains("belongs to another user"), "{e}");
        let e = describe_private_dir(d, false, 7, 0o100600, 7).unwrap_err();
        assert!(e.to_string().contains("not a directory"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn checked_dir_is_created_private_and_never_loosened_or_fixed() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        check_private_dir(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(check_private_dir(&dir).is_err());
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o755, "a check does not change the mode");
    }

    #[cfg(unix)]
    #[test]
    fn private_file_is_0600_and_replaced_whole() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("s.json");
        write_private_file(&f, b"one").unwrap();
        write_private_file(&f, b"two").unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"two");
        let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }
}
