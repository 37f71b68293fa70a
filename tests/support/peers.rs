//! Real peers from the npm registry, pinned in tests/peers/package.json:
//! installed on first use (`npm ci`, once per machine, under a lock), started
//! on 127.0.0.1 with a free port, waited for with a deadline, and killed on
//! drop. When they cannot be installed the test fails with the reason.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub fn peers_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers")
}

/// Installs the pinned peers if `node_modules` is missing or older than
/// the lock file. Serialised across threads and processes.
pub fn ensure_installed() {
    static ONCE: Mutex<bool> = Mutex::new(false);
    let mut done = ONCE.lock().unwrap_or_else(|p| p.into_inner());
    if *done {
        return;
    }
    let dir = peers_dir();
    let lock_file =
        std::fs::File::create(std::env::temp_dir().join("mcp-auth-peers.lock")).unwrap();
    lock_file.lock().unwrap();
    let stamp = dir.join("node_modules/.package-lock.json");
    let fresh = match (
        std::fs::metadata(&stamp),
        std::fs::metadata(dir.join("package-lock.json")),
    ) {
        (Ok(s), Ok(l)) => s.modified().unwrap() >= l.modified().unwrap(),
        _ => false,
    };
    if !fresh {
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .output()
            .unwrap_or_else(|e| {
                panic!("the interop tests need npm (Node.js) to install their peers: {e}")
            });
        assert!(
            out.status.success(),
            "`npm ci --prefix tests/peers` failed; the interop peers could not be installed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(
        node22().exists(),
        "Node 22 is missing from tests/peers/node_modules/node"
    );
    *done = true;
}

/// Node 22, installed from the npm registry as the `node` package.
pub fn node22() -> PathBuf {
    peers_dir().join("node_modules/node/bin/node")
}

/// The scripted browser for providers with login and consent forms.
pub fn browser_command() -> String {
    format!(
        "{} {}",
        node22().display(),
        peers_dir().join("browser.mjs").display()
    )
}

/// A running peer process, killed (with its stdout drained) on drop.
pub struct Peer {
    child: Child,
    pub url: String,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a Node script from tests/peers that prints `listening <url>`.
pub fn start(script: &str, env: &[(&str, &str)]) -> Peer {
    ensure_installed();
    let mut cmd = Command::new(node22());
    cmd.arg(peers_dir().join(script))
        .current_dir(peers_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("cannot start node");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if !sent && let Some(url) = line.strip_prefix("listening ") {
                let _ = tx.send(url.trim().to_string());
                sent = true;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let url = loop {
        if let Ok(url) = rx.recv_timeout(Duration::from_millis(100)) {
            break url;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{script} exited early with {status}");
        }
        assert!(
            Instant::now() < deadline,
            "{script} did not start within 30 s"
        );
    };
    Peer { child, url }
}
