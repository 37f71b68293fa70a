//! Real MCP peers from npm, pinned in tests/peers/package.json (+ lock).
//!
//! `npm ci --prefix tests/peers` runs once when `node_modules` is missing
//! (under a file lock, so parallel tests install once). Each peer starts on
//! 127.0.0.1 (a `--require` preload forces every listen there) on a free
//! port, is waited for with a deadline, and is killed when dropped. Without
//! node or npm the test fails with a message saying so: it is never
//! skipped silently.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn peers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("peers")
}

fn have(cmd: &str) -> bool {
    Command::new(cmd)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Installs the pinned peers if needed.
pub fn ensure_installed() {
    let dir = peers_dir();
    assert!(
        have("node") && have("npm"),
        "node and npm are needed for the interop tests (the real MCP servers run on Node): \
         install Node.js >= 20 with npm, e.g. `apt-get install -y nodejs npm`"
    );
    let marker = dir.join("node_modules").join(".package-lock.json");
    if marker.exists() {
        return;
    }
    let lock_path = dir.join(".install.lock");
    let lock = std::fs::File::create(&lock_path).expect("create the install lock");
    lock.lock().expect("take the install lock");
    if marker.exists() {
        return;
    }
    let out = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--prefix"])
        .arg(&dir)
        .output()
        .expect("run npm ci");
    assert!(
        out.status.success(),
        "`npm ci --prefix tests/peers` failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running peer process; killed on drop.
pub struct Peer {
    child: Child,
    pub port: u16,
    pub url: String,
}

impl Peer {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `@modelcontextprotocol/server-everything` over Streamable HTTP.
pub fn server_everything() -> Peer {
    ensure_installed();
    let dir = peers_dir();
    let script = dir.join("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    let mut last_err = String::new();
    for _attempt in 0..3 {
        let port = free_port();
        let log = tempfile::tempfile().expect("a log file for the peer");
        let mut child = Command::new("node")
            .arg("--require")
            .arg(dir.join("loopback.cjs"))
            .arg(&script)
            .arg("streamableHttp")
            .env("PORT", port.to_string())
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log.try_clone().expect("clone the log file")))
            .spawn()
            .expect("start server-everything with node");
        match wait_listening(port, &mut child, Duration::from_secs(20), Some(log)) {
            Ok(()) => {
                return Peer {
                    child,
                    port,
                    url: format!("http://127.0.0.1:{port}/mcp"),
                };
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                last_err = e;
            }
        }
    }
    panic!("server-everything did not start: {last_err}");
}

/// Waits until `port` accepts connections, failing early if the process dies.
pub fn wait_listening(
    port: u16,
    child: &mut Child,
    timeout: Duration,
    log: Option<std::fs::File>,
) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut f) = log {
                use std::io::Seek;
                let _ = f.seek(std::io::SeekFrom::Start(0));
                let _ = f.read_to_string(&mut err);
            }
            return Err(format!("it exited with {status}: {err}"));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "nothing listened on port {port} within {timeout:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}
