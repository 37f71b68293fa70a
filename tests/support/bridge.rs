//! Runs the real `mcp-auth bridge` binary and speaks MCP over its stdio,
//! as an MCP client would. Every stdout line must be a JSON object; the
//! driver fails the test on anything else.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_mcp-auth");

/// How long a test waits for any one message before failing.
pub const WAIT: Duration = Duration::from_secs(15);

pub struct Bridge {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<Result<Value, String>>,
    /// Messages received while waiting for another one.
    backlog: Vec<Value>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    pub home: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    next_id: u64,
}

/// How to start the bridge.
#[derive(Default, Clone)]
pub struct Options {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// An existing MCP_AUTH_HOME (else a fresh temp dir).
    pub home: Option<PathBuf>,
    pub log_level: Option<String>,
}

impl Options {
    pub fn arg(mut self, a: impl Into<String>) -> Self {
        self.args.push(a.into());
        self
    }
    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }
    pub fn home(mut self, h: &Path) -> Self {
        self.home = Some(h.to_path_buf());
        self
    }
    pub fn log(mut self, level: &str) -> Self {
        self.log_level = Some(level.into());
        self
    }
}

impl Bridge {
    pub fn start(url: &str) -> Bridge {
        Bridge::start_with(url, Options::default())
    }

    pub fn start_with(url: &str, opts: Options) -> Bridge {
        let (tmp, home) = match &opts.home {
            Some(h) => (None, h.clone()),
            None => {
                let t = tempfile::tempdir().expect("temp home");
                let h = t.path().to_path_buf();
                (Some(t), h)
            }
        };
        let mut cmd = Command::new(BIN);
        cmd.arg("--log-level")
            .arg(opts.log_level.as_deref().unwrap_or("info"))
            .arg("bridge")
            .arg(url)
            .args(&opts.args)
            .env("MCP_AUTH_HOME", &home)
            .env("MCP_AUTH_SECRET_STORE", "file")
            .env_remove("MCP_AUTH_LOG")
            .env_remove("MCP_AUTH_LOG_FILE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &opts.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start mcp-auth bridge");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let parsed = serde_json::from_str::<Value>(&line)
                    .ok()
                    .filter(Value::is_object)
                    .ok_or_else(|| line.clone());
                if tx.send(parsed).is_err() {
                    break;
                }
            }
        });
        let stderr_buf = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("stderr");
        let buf = stderr_buf.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if std::env::var_os("BRIDGE_TEST_STDERR").is_some() {
                    eprintln!("[bridge] {line}");
                }
                let mut b = buf.lock().unwrap();
                b.push_str(&line);
                b.push('\n');
            }
        });
        let stdin = child.stdin.take();
        Bridge {
            child,
            stdin,
            lines: rx,
            backlog: Vec::new(),
            stderr: stderr_buf,
            home,
            _tmp: tmp,
            next_id: 1000,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the bridge wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Stderr once it contains `needle` (it is read by another thread, so a
    /// line written just before an answer may arrive just after it), or as
    /// it is after 5 seconds.
    pub fn stderr_with(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let text = self.stderr();
            if text.contains(needle) || Instant::now() > deadline {
                return text;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn send(&mut self, msg: &Value) {
        self.send_raw(&msg.to_string());
    }

    pub fn send_raw(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin
            .write_all(line.as_bytes())
            .expect("write to the bridge");
        stdin.write_all(b"\n").expect("write to the bridge");
        stdin.flush().expect("flush to the bridge");
    }

    /// Sends many lines in one write.
    pub fn send_many(&mut self, msgs: &[Value]) {
        let mut buf = String::new();
        for m in msgs {
            buf.push_str(&m.to_string());
            buf.push('\n');
        }
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin
            .write_all(buf.as_bytes())
            .expect("write to the bridge");
        stdin.flush().expect("flush to the bridge");
    }

    fn next_line(&mut self, deadline: Instant) -> Option<Value> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(left) {
            Ok(Ok(v)) => Some(v),
            Ok(Err(line)) => panic!(
                "the bridge wrote a line that is not a JSON object to stdout: {line:?}\nstderr:\n{}",
                self.stderr()
            ),
            Err(_) => None,
        }
    }

    /// The next message matching `pred` (earlier non-matching ones are kept).
    pub fn recv_where(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        self.try_recv_where(WAIT, &pred).unwrap_or_else(|| {
            panic!(
                "no {what} from the bridge within {WAIT:?}; got {:?}\nstderr:\n{}",
                self.backlog,
                self.stderr()
            )
        })
    }

    pub fn try_recv_where(
        &mut self,
        wait: Duration,
        pred: &dyn Fn(&Value) -> bool,
    ) -> Option<Value> {
        if let Some(i) = self.backlog.iter().position(pred) {
            return Some(self.backlog.remove(i));
        }
        let deadline = Instant::now() + wait;
        while let Some(v) = self.next_line(deadline) {
            if pred(&v) {
                return Some(v);
            }
            self.backlog.push(v);
        }
        None
    }

    /// The response to request `id`.
    pub fn response(&mut self, id: &Value) -> Value {
        let id = id.clone();
        self.recv_where(&format!("response to {id}"), move |v| {
            v.get("id") == Some(&id) && v.get("method").is_none()
        })
    }

    /// Any message with this method (server-initiated requests, notifications).
    pub fn method(&mut self, method: &str) -> Value {
        let m = method.to_string();
        self.recv_where(method, move |v| v["method"] == m.as_str())
    }

    /// Messages received and not yet taken.
    pub fn drain(&mut self, wait: Duration) -> Vec<Value> {
        let deadline = Instant::now() + wait;
        while let Some(v) = self.next_line(deadline) {
            self.backlog.push(v);
        }
        std::mem::take(&mut self.backlog)
    }

    pub fn fresh_id(&mut self) -> Value {
        self.next_id += 1;
        json!(self.next_id)
    }

    /// Sends a request and waits for its response.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.fresh_id();
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.response(&id)
    }

    /// `initialize` + `notifications/initialized`; returns the result.
    pub fn initialize(&mut self, capabilities: Value) -> Value {
        let id = json!(0);
        self.send(&json!({
            "jsonrpc": "2.0", "id": id, "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": capabilities,
                "clientInfo": {"name": "mcp-auth-test-client", "version": "1.0.0"}
            }
        }));
        let resp = self.response(&id);
        assert!(
            resp.get("result").is_some(),
            "initialize failed: {resp}\nstderr:\n{}",
            self.stderr()
        );
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        resp["result"].clone()
    }

    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as i32, sig);
        }
    }

    /// Waits for the process to exit; panics after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> (ExitStatus, Duration) {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return (status, start.elapsed());
            }
            if start.elapsed() > timeout {
                panic!(
                    "the bridge did not exit within {timeout:?}\nstderr:\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Peak resident memory (VmHWM) and CPU time used so far, from /proc.
    pub fn usage(&self) -> Option<(u64, Duration)> {
        proc_usage(self.child.id())
    }
}

/// VmHWM in bytes and utime+stime of a live process.
pub fn proc_usage(pid: u32) -> Option<(u64, Duration)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse::<u64>()
        .ok()?
        * 1024;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of stat (utime, stime), counted after the comm field.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    let ticks = utime + stime;
    Some((hwm, Duration::from_micros(ticks * 1_000_000 / hz)))
}

/// Current resident memory (VmRSS) in bytes.
pub fn proc_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    Some(
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))?
            .split_whitespace()
            .nth(1)?
            .parse::<u64>()
            .ok()?
            * 1024,
    )
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
