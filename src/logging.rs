//! Logs through `tracing`, to stderr or to a file whose size is bounded.
//!
//! A log file is rotated when it would grow past [`MAX_LOG_BYTES`]: it
//! becomes `NAME.1` (replacing the previous one) and a new file starts, so a
//! daemon that runs for months keeps at most two files. Nothing logged
//! anywhere carries a token: call sites log names, counts and errors, and
//! errors never hold token values (see `error.rs`).

use std::fs::{File, OpenOptions};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

use crate::error::{Error, Result};

/// Size at which a log file is rotated.
pub const MAX_LOG_BYTES: u64 = 5 * 1024 * 1024;

/// Installs the global subscriber: `level` is a level (`info`) or
/// per-target directives (`mcp_auth=debug,hyper=info`); `file` replaces
/// stderr.
pub fn init(level: &str, file: Option<&Path>) -> Result<()> {
    let filter = parse_level(level)?;
    let layer = tracing_subscriber::fmt::layer().with_target(false);
    match file {
        Some(path) => {
            let writer = RotatingFile::open(path, MAX_LOG_BYTES)?;
            tracing_subscriber::registry()
                .with(
                    layer
                        .with_ansi(false)
                        .with_writer(Mutex::new(writer))
                        .with_filter(filter),
                )
                .init();
        }
        // Colours only for a person at a terminal, never into the journal
        // or a redirected file.
        None => tracing_subscriber::registry()
            .with(
                layer
                    .with_ansi(std::io::stderr().is_terminal())
                    .with_writer(std::io::stderr)
                    .with_filter(filter),
            )
            .init(),
    }
    Ok(())
}

/// Reads a log level or directives. A bare level applies to mcp-auth
/// itself; its libraries stay at warn (their debug output is noise). Full
/// directives are used as given. (`Targets` rather than `EnvFilter`: the
/// same syntax for what is needed here, without a regex engine in the
/// binary.)
fn parse_level(level: &str) -> Result<Targets> {
    let directive = if level.contains(['=', ',']) || level == "off" {
        level.to_string()
    } else {
        format!("warn,mcp_auth={level}")
    };
    directive.parse::<Targets>().map_err(|e| {
        Error::Usage(format!(
            "log level {level:?} is not valid ({e}); use error, warn, info, debug or trace"
        ))
    })
}

/// An append-only file that rotates itself to `NAME.1` at `max_bytes`.
pub struct RotatingFile {
    path: PathBuf,
    max_bytes: u64,
    file: File,
    written: u64,
}

impl RotatingFile {
    pub fn open(path: &Path, max_bytes: u64) -> Result<RotatingFile> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
        }
        let file = append(path)
            .map_err(|e| Error::io(format!("cannot open log file {}", path.display()), e))?;
        let written = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(RotatingFile {
            path: path.to_path_buf(),
            max_bytes,
            file,
            written,
        })
    }

    pub fn rotated_path(path: &Path) -> PathBuf {
        let mut p = path.as_os_str().to_owned();
        p.push(".1");
        PathBuf::from(p)
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        std::fs::rename(&self.path, Self::rotated_path(&self.path))?;
        self.file = append(&self.path)?;
        self.written = 0;
        Ok(())
    }
}

fn append(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

impl Write for RotatingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.written > 0 && self.written + buf.len() as u64 > self.max_bytes {
            // A failed rotation must not lose the line: keep appending.
            if let Err(e) = self.rotate() {
                let _ = writeln!(self.file, "cannot rotate the log file: {e}");
            }
        }
        let n = self.file.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn a_bare_level_is_for_mcp_auth_and_libraries_stay_at_warn() {
        let t = parse_level("debug").unwrap();
        assert!(t.would_enable("mcp_auth::bridge", &Level::DEBUG));
        assert!(!t.would_enable("mcp_auth::bridge", &Level::TRACE));
        assert!(!t.would_enable("hyper::proto", &Level::INFO));
        assert!(t.would_enable("hyper::proto", &Level::WARN));
        let t = parse_level("mcp_auth=trace,hyper=info").unwrap();
        assert!(t.would_enable("mcp_auth::daemon", &Level::TRACE));
        assert!(t.would_enable("hyper::proto", &Level::INFO));
        assert!(!t.would_enable("reqwest", &Level::ERROR));
        let t = parse_level("off").unwrap();
        assert!(!t.would_enable("mcp_auth", &Level::ERROR));
        let e = parse_level("loud").unwrap_err().to_string();
        assert!(e.contains("log level \"loud\" is not valid"), "{e}");
        assert!(parse_level("mcp_auth=loud").is_err());
    }

    #[test]
    fn the_file_rotates_and_keeps_one_old_copy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.log");
        let mut f = RotatingFile::open(&path, 100).unwrap();
        for i in 0..30 {
            writeln!(f, "line {i:03} of the log").unwrap();
        }
        let now = std::fs::metadata(&path).unwrap().len();
        let old = std::fs::metadata(RotatingFile::rotated_path(&path))
            .unwrap()
            .len();
        assert!(now <= 100 && old <= 100, "{now} {old}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.ends_with("line 029 of the log\n"), "{text}");
        // Reopening continues counting from the existing size.
        let f = RotatingFile::open(&path, 100).unwrap();
        assert_eq!(f.written, now);
    }
}
