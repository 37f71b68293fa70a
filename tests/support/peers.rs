//! Real peers, pinned: npm packages in tests/peers/package.json (+ lock) and
//! Python packages in tests/peers/requirements.txt.
//!
//! They are installed on first use (`npm ci`, a virtualenv with pip) under a
//! file lock, so parallel tests install once, and again when the pins
//! change. Each peer starts on 127.0.0.1 on a free port, is waited for with
//! a deadline, and is killed when dropped. Without node, npm or python the
//! test fails with a message saying so: it is never skipped silently.

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
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

/// True when `stamp` exists and is newer than every file in `sources`.
fn fresh(stamp: &Path, sources: &[PathBuf]) -> bool {
    let Ok(at) = std::fs::metadata(stamp).and_then(|m| m.modified()) else {
        return false;
    };
    sources.iter().all(|s| {
        std::fs::metadata(s)
            .and_then(|m| m.modified())
            .is_ok_and(|m| m <= at)
    })
}

/// Runs `install` under the cross-process install lock unless `stamp` is
/// fresh, once per test process.
fn install_once(what: &str, stamp: &Path, sources: &[PathBuf], install: impl FnOnce()) {
    static DONE: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut done = DONE.lock().unwrap_or_else(|p| p.into_inner());
    if done.iter().any(|d| d == what) {
        return;
    }
    if !fresh(stamp, sources) {
        let lock = std::fs::File::create(peers_dir().join(".install.lock"))
            .expect("create the install lock");
        lock.lock().expect("take the install lock");
        if !fresh(stamp, sources) {
            install();
        }
    }
    done.push(what.to_string());
}

/// Installs the pinned npm peers if needed.
pub fn ensure_installed() {
    assert!(
        have("node") && have("npm"),
        "node and npm are needed for the interop tests (the real MCP and OAuth servers run on \
         Node): install Node.js >= 20 with npm, e.g. `apt-get install -y nodejs npm`"
    );
    let dir = peers_dir();
    install_once(
        "npm",
        &dir.join("node_modules/.package-lock.json"),
        &[dir.join("package-lock.json")],
        || {
            let out = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--prefix"])
                .arg(&dir)
                .output()
                .expect("run npm ci");
            assert!(
                out.status.success(),
                "`npm ci --prefix tests/peers` failed; the interop peers could not be installed:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        },
    );
    assert!(
        node22().exists(),
        "Node 22 is missing from tests/peers/node_modules/node"
    );
}

/// Installs the pinned Python peers into tests/peers/.venv if needed and
/// returns its interpreter.
pub fn python() -> PathBuf {
    let dir = peers_dir();
    let venv = dir.join(".venv");
    let py = venv.join("bin/python");
    install_once(
        "python",
        &venv.join(".installed"),
        &[dir.join("requirements.txt")],
        || {
            let created = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .is_ok_and(|s| s.success());
            assert!(
                created,
                "python3 with venv is needed for the Python MCP server peer"
            );
            let out = Command::new(&py)
                .args(["-m", "pip", "install", "-q", "-r"])
                .arg(dir.join("requirements.txt"))
                .output()
                .expect("run pip");
            assert!(
                out.status.success(),
                "pip could not install tests/peers/requirements.txt:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::fs::write(venv.join(".installed"), b"").expect("mark the venv installed");
        },
    );
    py
}

/// Node 22, installed from the npm registry as the `node` package (some
/// peers need it; the machine's Node may be older).
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
    pub fn from_child(child: Child, port: u16, url: String) -> Peer {
        Peer { child, port, url }
    }

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

/// Starts a process that prints `listening <url>` when ready. Its stderr
/// goes to a file that is shown if it fails to start.
pub fn start_command(what: &str, mut cmd: Command) -> Peer {
    let log = tempfile::tempfile().expect("a log file for the peer");
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log.try_clone().expect("clone the log file")));
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let stdout = child.stdout.take().expect("piped stdout");
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
    let deadline = Instant::now() + Duration::from_secs(60);
    let url = loop {
        if let Ok(url) = rx.recv_timeout(Duration::from_millis(100)) {
            break url;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited early with {status}: {}", read_log(&log));
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not start within 60 s"
        );
    };
    let port = url::Url::parse(&url)
        .ok()
        .and_then(|u| u.port())
        .unwrap_or(0);
    let mut peer = Peer { child, port, url };
    if port != 0 {
        // "listening" may be printed just before the socket accepts.
        wait_listening(
            port,
            &mut peer.child,
            Duration::from_secs(30),
            log.try_clone().ok(),
        )
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    }
    peer
}

fn read_log(log: &std::fs::File) -> String {
    use std::io::Seek;
    let mut f = match log.try_clone() {
        Ok(f) => f,
        Err(_) => return String::new(),
    };
    let mut text = String::new();
    let _ = f.seek(std::io::SeekFrom::Start(0));
    let _ = f.read_to_string(&mut text);
    text
}

/// Starts a Node script from tests/peers (on Node 22) that prints
/// `listening <url>`.
pub fn start(script: &str, env: &[(&str, &str)]) -> Peer {
    ensure_installed();
    let mut cmd = Command::new(node22());
    cmd.arg("--require")
        .arg(peers_dir().join("loopback.cjs"))
        .arg(peers_dir().join(script))
        .current_dir(peers_dir());
    for (k, v) in env {
        cmd.env(k, v);
    }
    start_command(script, cmd)
}

/// Config for the `oidc` provider: the oidc-provider peer at `issuer`, with
/// its pre-registered test client.
pub fn oidc_provider_config(issuer: &str) -> String {
    format!(
        r#"[providers.oidc]
authorize_url = "{issuer}/auth"
token_url = "{issuer}/token"
revocation_url = "{issuer}/token/revocation"
userinfo_url = "{issuer}/me"
issuer = "{issuer}"
client_id = "mcp-auth-test"
scopes = ["openid", "offline_access", "email", "profile"]
extra_params = {{ prompt = "consent" }}
"#
    )
}

/// Asks the oidc-provider peer who the token belongs to: 200 for a live
/// token.
pub fn userinfo_status(issuer: &str, token: &str) -> u16 {
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H"])
        .arg(format!("Authorization: Bearer {token}"))
        .arg(format!("{issuer}/me"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

/// A Python SDK MCP server (tests/peers/python-mcp-server.py) on a free
/// port, trusting an oidc-provider that registers clients dynamically and
/// issues tokens for that server's resource; `idp_env` adds settings to the
/// provider (ACCESS_TTL, REFRESH_ALWAYS, ...). Returns (provider, server).
pub fn python_server_with_oidc(idp_env: &[(&str, &str)]) -> (Peer, Peer) {
    let python = python();
    let port = free_port();
    let resource = format!("http://localhost:{port}/mcp");
    let mut env = vec![
        ("DCR", "1"),
        ("RESOURCE", resource.as_str()),
        ("CLIENT_SECRET", "introspect-secret"),
    ];
    env.extend_from_slice(idp_env);
    let idp = start("oidc-provider.mjs", &env);
    let mut cmd = Command::new(python);
    cmd.arg(peers_dir().join("python-mcp-server.py"))
        .env("PORT", port.to_string())
        .env("ISSUER", &idp.url)
        .env("INTROSPECT_ID", "mcp-auth-test-m2m")
        .env("INTROSPECT_SECRET", "introspect-secret");
    let server = start_command("the Python MCP server", cmd);
    assert_eq!(server.url, resource);
    (idp, server)
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

/// A fastmcp 4.1.6 server that is its own authorization server, access
/// tokens living `access_ttl` seconds; each client registration appends a
/// line to `registrations`.
pub fn fastmcp_server(access_ttl: u64, registrations: &Path) -> Peer {
    let port = free_port();
    let mut cmd = Command::new(python());
    cmd.arg(peers_dir().join("fastmcp-server.py"))
        .env("PORT", port.to_string())
        .env("ACCESS_TTL", access_ttl.to_string())
        .env("REGISTRATIONS", registrations);
    start_command("the fastmcp server", cmd)
}
