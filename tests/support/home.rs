//! A throwaway mcp-auth installation: `MCP_AUTH_HOME` in a temp dir, the
//! file secret store, a browser command that follows the login redirect,
//! and no inherited settings from the machine running the tests.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_mcp-auth");

/// The binary a [`Home`] runs when not [`BIN`]: a bench's choice.
static BINARY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Every [`Home`] of this process runs `path` instead of [`BIN`]: the
/// benches run the binary as users install it (`shipped.rs`). Called once,
/// before any run.
pub fn use_binary(path: PathBuf) {
    BINARY
        .set(path)
        .expect("the binary is chosen once, before any run");
}

/// `curl` plays the browser: it follows the authorization server's redirect
/// to the loopback listener, which is all a consenting user's browser does.
pub const FOLLOW_REDIRECT: &str = "curl -fsSL -o /dev/null --max-time 30";

pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Default for Home {
    fn default() -> Self {
        Home::new()
    }
}

impl Home {
    pub fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn database(&self) -> PathBuf {
        self.path().join("data/mcp-auth.db")
    }

    pub fn write_config(&self, toml: &str) {
        std::fs::write(self.path().join("config.toml"), toml).unwrap();
    }

    /// The binary with this home and the file store; nothing inherited.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(BINARY.get().map_or(Path::new(BIN), PathBuf::as_path));
        for (k, _) in std::env::vars() {
            if k.starts_with("MCP_AUTH_") {
                c.env_remove(k);
            }
        }
        c.env("MCP_AUTH_HOME", self.path())
            .env("MCP_AUTH_SECRET_STORE", "file")
            .env("MCP_AUTH_BROWSER", FOLLOW_REDIRECT)
            .env("CI", "true")
            .stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run(self.cmd().args(args).output().unwrap())
    }

    /// Runs `args` with `input` on stdin (a token or a secret value, which
    /// the binary never takes as an argument).
    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> Run {
        let mut child = self
            .cmd()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // A command that refuses its arguments exits without reading stdin;
        // writing to it then fails with a broken pipe, which is no failure
        // of the test (the exit code and message are what it checks).
        let written = child.stdin.take().unwrap().write_all(input.as_bytes());
        if let Err(e) = written {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
        Run(child.wait_with_output().unwrap())
    }
}

/// A finished run with helpers that print everything on failure.
pub struct Run(pub Output);

impl Run {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }

    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }

    #[track_caller]
    pub fn ok(&self) -> &Run {
        assert!(
            self.0.status.success(),
            "expected success, got {:?}\nstdout:\n{}\nstderr:\n{}",
            self.0.status,
            self.stdout(),
            self.stderr()
        );
        self
    }

    #[track_caller]
    pub fn fails_with(&self, code: i32, needle: &str) -> &Run {
        assert_eq!(
            self.code(),
            code,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        assert!(
            self.stderr().contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr()
        );
        assert!(
            !self.stderr().contains("panicked"),
            "panic:\n{}",
            self.stderr()
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout()))
    }
}
