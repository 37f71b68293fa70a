//! A daemon for tests: `mcp-auth daemon run` in a [`Home`], waited for on
//! its socket, stopped (or killed) by PID, with its log kept for failure
//! messages. Also a reader for the file secret store, so tests can see what
//! the daemon stored without going through it.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use super::home::Home;

pub struct Daemon {
    pub child: Child,
    pub log: PathBuf,
    socket: PathBuf,
}

impl Daemon {
    /// Starts `daemon run` with `extra` environment and waits until it
    /// answers.
    pub fn start(home: &Home, extra: &[(&str, &str)]) -> Daemon {
        let log = home.path().join(format!(
            "daemon-{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let mut cmd = home.cmd();
        cmd.args(["daemon", "run", "--log-level", "debug"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap();
        let mut d = Daemon {
            child,
            log,
            socket: home.path().join("run/daemon.sock"),
        };
        d.wait_ready();
        d
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the daemon exited with {status}:\n{}", self.log_text());
            }
            if self.status().is_some() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the daemon did not answer within 20 s:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The daemon's status straight from its socket, or `None`.
    pub fn status(&self) -> Option<serde_json::Value> {
        request(&self.socket, r#"{"v":1,"op":"status"}"#)
            .filter(|r| r["ok"] == true)
            .map(|r| r["status"].clone())
    }

    /// SIGTERM, then waits for a clean exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        signal(self.pid(), libc::SIGTERM);
        wait_with_deadline(&mut self.child, Duration::from_secs(30))
    }

    /// SIGKILL: no chance to clean up anything.
    pub fn kill9(mut self) {
        signal(self.pid(), libc::SIGKILL);
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            signal(self.pid(), libc::SIGKILL);
            let _ = self.child.wait();
        }
    }
}

pub fn signal(pid: u32, sig: i32) {
    // SAFETY: sending a signal to a child process we started.
    unsafe {
        libc::kill(pid as i32, sig);
    }
}

pub fn wait_with_deadline(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(Instant::now() < deadline, "process did not exit in time");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One protocol request on the socket; `None` when nobody answers.
pub fn request(socket: &std::path::Path, line: &str) -> Option<serde_json::Value> {
    let mut s = UnixStream::connect(socket).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    s.write_all(format!("{line}\n").as_bytes()).ok()?;
    let mut answer = String::new();
    BufReader::new(s).read_line(&mut answer).ok()?;
    serde_json::from_str(&answer).ok()
}

/// What the file secret store holds for one credential.
#[derive(Debug, Clone)]
pub struct Stored {
    pub generation: i64,
    pub access_token: String,
    pub refresh_token: Option<String>,
}

/// Every credential's stored token set, read from the secrets file.
pub fn stored_tokens(home: &Home) -> HashMap<String, Stored> {
    let path = home.path().join("data/secrets.json");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    if text.is_empty() {
        return HashMap::new();
    }
    let file: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("the secrets file is damaged: {e}"));
    let mut out = HashMap::new();
    for (key, value) in file["entries"].as_object().unwrap() {
        let Some(name) = key.strip_prefix("credential/") else {
            continue;
        };
        let set: serde_json::Value = serde_json::from_str(value.as_str().unwrap())
            .unwrap_or_else(|e| panic!("the token set of {name} is damaged: {e}"));
        out.insert(
            name.to_string(),
            Stored {
                generation: set["generation"].as_i64().unwrap(),
                access_token: set["access_token"].as_str().unwrap().to_string(),
                refresh_token: set["refresh_token"].as_str().map(str::to_string),
            },
        );
    }
    out
}

/// Polls `check` every 50 ms until it holds or `limit` passes.
pub fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Seeds `n` credentials dead for 45 days straight into the database and
/// the secrets file, as a long-lived installation accumulates them.
pub fn seed_dead(home: &Home, n: usize) {
    let dead = mcp_auth::model::now() - 45 * 86_400;
    seed(home, n, "https://as/token", |i| Seed {
        name: format!("dead-{i:07}"),
        access_expires_at: dead,
        refresh_token: None,
    });
}

/// One credential for [`seed`]: of provider `acme`, client `test-client`,
/// its token issued an hour before it expires.
pub struct Seed {
    pub name: String,
    pub access_expires_at: i64,
    pub refresh_token: Option<String>,
}

/// Writes `n` credentials straight into the database (one transaction)
/// and the secrets file (one write, keys in order as the store keeps
/// them): a store of a million in seconds, where a million logins would
/// take hours.
pub fn seed(home: &Home, n: usize, token_url: &str, each: impl Fn(usize) -> Seed) {
    home.run(&["tokens", "list"]).ok(); // creates the database
    let mut conn = rusqlite::Connection::open(home.database()).unwrap();
    let tx = conn.transaction().unwrap();
    // Written as it goes, in the store's own format (keys in order: the
    // names are made in order), so that seeding a million holds none.
    let file = std::fs::File::create(home.path().join("data/secrets.json")).unwrap();
    let mut file = std::io::BufWriter::new(file);
    file.write_all(b"{\n  \"version\": 1,\n  \"entries\": {")
        .unwrap();
    let mut previous: Option<String> = None;
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO credentials (name, origin_kind, origin, token_url, client_id, \
                 auth_method, grant_kind, scopes, has_refresh_token, created_at, \
                 access_expires_at, status, status_changed_at, generation) \
                 VALUES (?1, 'provider', 'acme', ?2, 'test-client', 'none', \
                 'authorization_code', 'read', ?3, ?4, ?5, 'active', ?4, 1)",
            )
            .unwrap();
        for i in 0..n {
            let s = each(i);
            let issued = s.access_expires_at - 3600;
            insert
                .execute(rusqlite::params![
                    s.name,
                    token_url,
                    s.refresh_token.is_some(),
                    issued,
                    s.access_expires_at
                ])
                .unwrap();
            let mut set = serde_json::json!({
                "generation": 1,
                "access_token": format!("at-seeded-{i}"),
                "access_expires_at": s.access_expires_at,
            });
            if let Some(rt) = s.refresh_token {
                set["refresh_token"] = rt.into();
            }
            assert!(
                previous.as_deref().is_none_or(|p| p < s.name.as_str()),
                "seeded names must come in order"
            );
            let sep = if i == 0 { "\n    " } else { ",\n    " };
            write!(
                file,
                "{sep}{}: {}",
                serde_json::to_string(&format!("credential/{}", s.name)).unwrap(),
                serde_json::to_string(&set.to_string()).unwrap()
            )
            .unwrap();
            previous = Some(s.name);
        }
    }
    file.write_all(if n == 0 { b"}\n}" } else { b"\n  }\n}" })
        .unwrap();
    file.flush().unwrap();
    tx.commit().unwrap();
}
