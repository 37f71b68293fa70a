//! `cargo bench --bench bridge`: what the bridge costs.
//!
//! Against `@modelcontextprotocol/server-everything` (a real server, the
//! ceiling at ~1-2k req/s here) the bridge is measured beside a direct HTTP
//! client (reqwest, in this process, built like the bridge's) on the same
//! server in the same run: latency with bridge and direct requests in turn,
//! throughput and startup in alternated runs; medians over rounds are
//! reported.
//! Against a fast in-process mock (hyper), the bridge itself is the
//! bottleneck. Every figure is checked against the issue's target and the
//! report ends with PASS/FAIL per target (the exit status is 1 on a FAIL).
//!
//! The 2026-07-28 era is measured the same way against a stateless
//! TypeScript SDK v2 server (tests/peers/ts-server-2026.mjs) and the mock:
//! no `initialize`, `_meta` on every request, the per-request headers.
//!
//! Environment knobs: BENCH_ROUNDS (default 7), BENCH_SEQ (sequential
//! requests per round and client, 2000), BENCH_TPUT (requests per throughput run,
//! 3000), BENCH_FLAT (requests of the memory-flatness run, 20000).
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this bench uses (files in tests/support/, see its
/// README.md); helpers of these modules it does not call are allowed.
#[allow(dead_code)]
#[path = "../support"]
mod support {
    pub mod bridge;
    pub mod peers;
    pub mod shipped;
}

use std::convert::Infallible;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use serde::Deserialize;
use serde_json::value::RawValue;
use support::bridge::{proc_rss, proc_usage};
use support::{peers, shipped};

const INFLIGHT: usize = 16;

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--direct-startup") {
        direct_startup_child(&args[i + 1], args.get(i + 2).is_some_and(|e| e == "2026"));
        return;
    }
    if args.iter().any(|a| a == "--list") {
        return; // `cargo bench -- --list` probes benches; nothing to list.
    }
    shipped::binary(); // built before anything is timed
    link_order_coverage();
    let rounds = env_num("BENCH_ROUNDS", 7);
    let seq = env_num("BENCH_SEQ", 2000);
    let tput = env_num("BENCH_TPUT", 3000);
    let flat = env_num("BENCH_FLAT", 20000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");

    println!(
        "bridge benchmark: {rounds} alternated rounds, {seq} sequential + {tput} at {INFLIGHT} in flight each"
    );
    let peer = peers::server_everything();
    let everything = measure(&rt, &peer.url, Call::Echo, rounds, seq, tput, true);
    let flatness = rss_flatness(&peer.url, Call::Echo, flat);
    drop(peer);

    let mock = Mock::start();
    let fast = measure(
        &rt,
        &mock.url,
        Call::Ping,
        rounds.min(3),
        seq,
        tput.max(10000),
        false,
    );

    let ts = peers::start("ts-server-2026.mjs", &[("PORT", "0")]);
    let modern = measure(&rt, &ts.url, Call::Echo2026, rounds, seq, tput, true);
    let modern_flat = rss_flatness(&ts.url, Call::Echo2026, flat);
    drop(ts);
    let modern_fast = measure(
        &rt,
        &mock.url,
        Call::Ping2026,
        rounds.min(3),
        seq,
        tput.max(10000),
        false,
    );

    let mut report = Report::default();
    println!();
    println!("== against server-everything (medians of {rounds} rounds) ==");
    everything.print();
    println!(
        "  memory: peak RSS {:.1} MB; RSS after {} requests {:.2} MB, after {} {:.2} MB (growth {:+.2} MB)",
        mb(flatness.peak),
        flatness.early_at,
        mb(flatness.early),
        flatness.late_at,
        mb(flatness.late),
        (flatness.late as f64 - flatness.early as f64) / 1e6
    );
    println!();
    println!("== against the in-process mock (bridge is the bottleneck) ==");
    fast.print();
    println!();
    println!(
        "== 2026-07-28: against the stateless TypeScript SDK v2 server (medians of {rounds} rounds) =="
    );
    modern.print();
    println!(
        "  memory: peak RSS {:.1} MB; RSS after {} requests {:.2} MB, after {} {:.2} MB (growth {:+.2} MB)",
        mb(modern_flat.peak),
        modern_flat.early_at,
        mb(modern_flat.early),
        modern_flat.late_at,
        mb(modern_flat.late),
        (modern_flat.late as f64 - modern_flat.early as f64) / 1e6
    );
    println!();
    println!("== 2026-07-28: against the in-process mock ==");
    modern_fast.print();

    println!();
    println!("== targets ==");
    let e = &everything;
    report.check(
        "added p50 latency vs direct (server-everything)",
        e.bridge_p50 - e.direct_p50,
        0.1,
        "ms",
    );
    report.check(
        "added p99 latency vs direct (server-everything)",
        e.bridge_p99 - e.direct_p99,
        0.5,
        "ms",
    );
    report.check_min(
        "throughput at 16 in flight, bridge / direct",
        e.bridge_rps / e.direct_rps,
        0.9,
        "x",
    );
    report.check(
        "startup to first response, bridge - direct",
        e.bridge_startup - e.direct_startup,
        5.0,
        "ms",
    );
    report.check(
        "bridge CPU per request (server-everything)",
        e.bridge_cpu_ms,
        0.2,
        "ms",
    );
    report.check(
        "bridge peak RSS",
        mb(flatness.peak.max(e.peak_rss)),
        10.0,
        "MB",
    );
    report.check(
        &format!(
            "RSS growth from {} to {} requests",
            flatness.early_at, flatness.late_at
        ),
        (flatness.late as f64 - flatness.early as f64).max(0.0) / 1e6,
        1.0,
        "MB",
    );
    report.check_min(
        "bridge throughput at 16 in flight (mock)",
        fast.bridge_rps,
        20000.0,
        "req/s",
    );
    targets_2026(&mut report, &modern, &modern_flat, &modern_fast);
    println!();
    println!("{} passed, {} failed", report.passed, report.failed);
    if report.failed > 0 {
        std::process::exit(1);
    }
}

/// The same targets for the 2026-07-28 era.
fn targets_2026(report: &mut Report, e: &Results, flatness: &Flatness, fast: &Results) {
    report.check(
        "2026: added p50 latency vs direct (TS v2 stateless)",
        e.bridge_p50 - e.direct_p50,
        0.1,
        "ms",
    );
    report.check(
        "2026: added p99 latency vs direct (TS v2 stateless)",
        e.bridge_p99 - e.direct_p99,
        0.5,
        "ms",
    );
    report.check_min(
        "2026: throughput at 16 in flight, bridge / direct",
        e.bridge_rps / e.direct_rps,
        0.9,
        "x",
    );
    report.check(
        "2026: startup to first response, bridge - direct",
        e.bridge_startup - e.direct_startup,
        5.0,
        "ms",
    );
    report.check(
        "2026: bridge CPU per request (TS v2 stateless)",
        e.bridge_cpu_ms,
        0.2,
        "ms",
    );
    report.check(
        "2026: bridge peak RSS",
        mb(flatness.peak.max(e.peak_rss)),
        10.0,
        "MB",
    );
    report.check(
        &format!(
            "2026: RSS growth from {} to {} requests",
            flatness.early_at, flatness.late_at
        ),
        (flatness.late as f64 - flatness.early as f64).max(0.0) / 1e6,
        1.0,
        "MB",
    );
    report.check_min(
        "2026: bridge throughput at 16 in flight (mock)",
        fast.bridge_rps,
        20000.0,
        "req/s",
    );
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

#[derive(Default)]
struct Report {
    passed: usize,
    failed: usize,
}

impl Report {
    fn check(&mut self, what: &str, value: f64, max: f64, unit: &str) {
        let ok = value <= max;
        self.line(what, value, &format!("<= {max} {unit}"), ok, unit);
    }
    fn check_min(&mut self, what: &str, value: f64, min: f64, unit: &str) {
        let ok = value >= min;
        self.line(what, value, &format!(">= {min} {unit}"), ok, unit);
    }
    fn line(&mut self, what: &str, value: f64, target: &str, ok: bool, unit: &str) {
        if ok {
            self.passed += 1;
        } else {
            self.failed += 1;
        }
        println!(
            "  [{}] {what}: {value:.3} {unit} (target {target})",
            if ok { "PASS" } else { "FAIL" }
        );
    }
}

#[derive(Clone, Copy)]
enum Call {
    /// `tools/call echo` (server-everything).
    Echo,
    /// `ping` (the mock answers anything).
    Ping,
    /// 2026-07-28 `tools/call echo` (the TS v2 stateless server).
    Echo2026,
    /// 2026-07-28 `ping` (the mock).
    Ping2026,
}

impl Call {
    fn body(self, id: u64) -> String {
        match self {
            Call::Echo => format!(
                r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"echo","arguments":{{"message":"bench {id}"}}}}}}"#
            ),
            Call::Ping => format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"ping"}}"#),
            Call::Echo2026 => format!(
                r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"echo","arguments":{{"text":"bench {id}"}},"_meta":{META}}}}}"#
            ),
            Call::Ping2026 => {
                format!(
                    r#"{{"jsonrpc":"2.0","id":{id},"method":"ping","params":{{"_meta":{META}}}}}"#
                )
            }
        }
    }

    fn modern(self) -> bool {
        matches!(self, Call::Echo2026 | Call::Ping2026)
    }

    /// The first message a client of this era sends.
    fn first(self) -> &'static str {
        if self.modern() { DISCOVER } else { INIT }
    }

    /// The 2026-07-28 headers a direct client sends with it.
    fn headers(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Call::Echo2026 => &[("mcp-method", "tools/call"), ("mcp-name", "echo")],
            Call::Ping2026 => &[("mcp-method", "ping")],
            _ => &[],
        }
    }
}

const META: &str = r#"{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}"#;
const DISCOVER: &str = r#"{"jsonrpc":"2.0","id":0,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}}}"#;

const INIT: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"#;
const INITIALIZED: &str = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;

#[derive(Default)]
struct Results {
    direct_p50: f64,
    direct_p99: f64,
    bridge_p50: f64,
    bridge_p99: f64,
    direct_rps: f64,
    bridge_rps: f64,
    direct_startup: f64,
    bridge_startup: f64,
    bridge_cpu_ms: f64,
    peak_rss: u64,
}

impl Results {
    fn print(&self) {
        println!(
            "  latency p50: direct {:.3} ms, bridge {:.3} ms (added {:+.3} ms)",
            self.direct_p50,
            self.bridge_p50,
            self.bridge_p50 - self.direct_p50
        );
        println!(
            "  latency p99: direct {:.3} ms, bridge {:.3} ms (added {:+.3} ms)",
            self.direct_p99,
            self.bridge_p99,
            self.bridge_p99 - self.direct_p99
        );
        println!(
            "  throughput at {INFLIGHT} in flight: direct {:.0} req/s, bridge {:.0} req/s ({:.2}x)",
            self.direct_rps,
            self.bridge_rps,
            self.bridge_rps / self.direct_rps
        );
        println!(
            "  startup to first response: direct {:.2} ms, bridge {:.2} ms (added {:+.2} ms)",
            self.direct_startup,
            self.bridge_startup,
            self.bridge_startup - self.direct_startup
        );
        println!(
            "  bridge CPU per request: {:.3} ms; bridge peak RSS {:.1} MB",
            self.bridge_cpu_ms,
            mb(self.peak_rss)
        );
    }
}

/// How much of `src/link_order.txt` the binary still defines. The bridge's
/// peak RSS depends on those functions sitting together (src/build.rs);
/// the names go stale with a toolchain or dependency update, and then
/// `tests/benches/link_order.sh` records them again.
fn link_order_coverage() {
    let list = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/link_order.txt"))
        .expect("src/link_order.txt");
    // The lines src/build.rs hands to the linker.
    let listed: Vec<&str> = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let Ok(nm) = Command::new("nm")
        .arg("--defined-only")
        .arg(shipped::binary())
        .output()
    else {
        println!("link order: `nm` is not installed, so its coverage is not known");
        return;
    };
    let defined: std::collections::HashSet<&str> = std::str::from_utf8(&nm.stdout)
        .unwrap_or("")
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    let found = listed.iter().filter(|n| defined.contains(*n)).count();
    println!(
        "link order: {found} of the {} functions of src/link_order.txt are in the binary ({:.0} %; \
         below ~90 %, run tests/benches/link_order.sh)",
        listed.len(),
        100.0 * found as f64 / listed.len().max(1) as f64
    );
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}

fn percentile(sorted: &[Duration], p: usize) -> f64 {
    let i = (sorted.len() * p / 100).min(sorted.len() - 1);
    sorted[i].as_secs_f64() * 1e3
}

fn measure(
    rt: &tokio::runtime::Runtime,
    url: &str,
    call: Call,
    rounds: usize,
    seq: usize,
    tput: usize,
    startup: bool,
) -> Results {
    let mut d50 = Vec::new();
    let mut d99 = Vec::new();
    let mut b50 = Vec::new();
    let mut b99 = Vec::new();
    let mut drps = Vec::new();
    let mut brps = Vec::new();
    let mut dstart = Vec::new();
    let mut bstart = Vec::new();
    let mut cpu = Vec::new();
    let mut peak = 0u64;
    for round in 0..rounds {
        let bridge_first = round % 2 == 1;
        // Latency: one bridge and one direct request in turn, so both see
        // the server in the same state (JIT, GC, sessions).
        {
            let mut b = Driven::start(url);
            b.initialize(call);
            b.run_concurrent(call, 200); // warm-up
            let d = rt.block_on(Direct::connect(url, call));
            rt.block_on(d.run_concurrent(call, 200));
            let mut bl = Vec::with_capacity(seq);
            let mut dl = Vec::with_capacity(seq);
            for i in 0..seq {
                if (i % 2 == 0) == bridge_first {
                    bl.push(b.call_once(call));
                    dl.push(rt.block_on(d.call(call)));
                } else {
                    dl.push(rt.block_on(d.call(call)));
                    bl.push(b.call_once(call));
                }
            }
            bl.sort();
            dl.sort();
            b50.push(percentile(&bl, 50));
            b99.push(percentile(&bl, 99));
            d50.push(percentile(&dl, 50));
            d99.push(percentile(&dl, 99));
            rt.block_on(d.close());
            b.finish();
        }
        // Throughput: whole runs, alternated.
        for which in [bridge_first, !bridge_first] {
            if which {
                let mut b = Driven::start(url);
                b.initialize(call);
                b.run_concurrent(call, 200); // warm-up
                let before = proc_usage(b.pid()).map(|u| u.1).unwrap_or_default();
                let took = b.run_concurrent(call, tput);
                let after = proc_usage(b.pid()).map(|u| u.1).unwrap_or_default();
                brps.push(tput as f64 / took.as_secs_f64());
                cpu.push((after - before).as_secs_f64() * 1e3 / tput as f64);
                peak = peak.max(proc_usage(b.pid()).map(|u| u.0).unwrap_or(0));
                b.finish();
            } else {
                let d = rt.block_on(Direct::connect(url, call));
                rt.block_on(d.run_concurrent(call, 200));
                let took = rt.block_on(d.run_concurrent(call, tput));
                drps.push(tput as f64 / took.as_secs_f64());
                rt.block_on(d.close());
            }
        }
        if startup {
            for _ in 0..3 {
                if bridge_first {
                    bstart.push(bridge_startup(url, call));
                    dstart.push(direct_startup(url, call));
                } else {
                    dstart.push(direct_startup(url, call));
                    bstart.push(bridge_startup(url, call));
                }
            }
        }
        eprintln!(
            "  round {}: direct p50 {:.3} ms, bridge p50 {:.3} ms, direct {:.0} req/s, bridge {:.0} req/s",
            round + 1,
            d50.last().unwrap(),
            b50.last().unwrap(),
            drps.last().unwrap(),
            brps.last().unwrap()
        );
    }
    Results {
        direct_p50: median(d50),
        direct_p99: median(d99),
        bridge_p50: median(b50),
        bridge_p99: median(b99),
        direct_rps: median(drps),
        bridge_rps: median(brps),
        direct_startup: median(dstart),
        bridge_startup: median(bstart),
        bridge_cpu_ms: median(cpu),
        peak_rss: peak,
    }
}

// ---- the bridge, driven over its stdio ------------------------------------------

struct Driven {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    line: String,
    next: u64,
    _home: tempfile::TempDir,
}

#[derive(Deserialize)]
struct IdOnly<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
}

impl Driven {
    fn start(url: &str) -> Driven {
        let home = tempfile::tempdir().expect("home");
        let mut child = Command::new(shipped::binary())
            .args(["--log-level", "warn", "bridge", url])
            .env("MCP_AUTH_HOME", home.path())
            .env("MCP_AUTH_SECRET_STORE", "file")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the bridge");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Driven {
            child,
            stdin,
            stdout,
            line: String::new(),
            next: 1,
            _home: home,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn write(&mut self, line: &str) {
        self.stdin.write_all(line.as_bytes()).expect("write");
        self.stdin.write_all(b"\n").expect("write");
        self.stdin.flush().expect("flush");
    }

    /// Reads lines until a response; returns its id.
    fn read_response(&mut self) -> u64 {
        loop {
            self.line.clear();
            let n = self.stdout.read_line(&mut self.line).expect("read");
            assert!(n > 0, "the bridge closed stdout");
            let m: IdOnly = serde_json::from_str(&self.line).expect("JSON on stdout");
            if let Some(id) = m.id {
                assert!(!self.line.contains("\"error\""), "error: {}", self.line);
                return id.get().parse().unwrap_or(0);
            }
        }
    }

    fn initialize(&mut self, call: Call) {
        self.write(call.first());
        self.read_response();
        if !call.modern() {
            self.write(INITIALIZED);
        }
    }

    /// One request, written and answered; its round-trip time.
    fn call_once(&mut self, call: Call) -> Duration {
        let id = self.next;
        self.next += 1;
        let body = call.body(id);
        let t = Instant::now();
        self.write(&body);
        let got = self.read_response();
        let took = t.elapsed();
        assert_eq!(got, id);
        took
    }

    fn run_concurrent(&mut self, call: Call, n: usize) -> Duration {
        let t = Instant::now();
        let mut sent = 0;
        let mut got = 0;
        while sent < n.min(INFLIGHT) {
            let body = call.body(self.next);
            self.next += 1;
            self.write(&body);
            sent += 1;
        }
        while got < n {
            self.read_response();
            got += 1;
            if sent < n {
                let body = call.body(self.next);
                self.next += 1;
                self.write(&body);
                sent += 1;
            }
        }
        t.elapsed()
    }

    fn finish(mut self) {
        drop(self.stdin);
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawn to the first response on stdout (the initialize's), in ms.
fn bridge_startup(url: &str, call: Call) -> f64 {
    let home = tempfile::tempdir().expect("home");
    let t = Instant::now();
    let mut child = Command::new(shipped::binary())
        .args(["--log-level", "warn", "bridge", url])
        .env("MCP_AUTH_HOME", home.path())
        .env("MCP_AUTH_SECRET_STORE", "file")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the bridge");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(call.first().as_bytes()).expect("write");
    stdin.write_all(b"\n").expect("write");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("read");
    let took = t.elapsed();
    assert!(line.contains("\"result\""), "{line}");
    drop(stdin);
    let _ = child.wait();
    took.as_secs_f64() * 1e3
}

/// Spawn to the first response of a direct client process (this binary in
/// `--direct-startup` mode), in ms.
fn direct_startup(url: &str, call: Call) -> f64 {
    let exe = std::env::current_exe().expect("current exe");
    let t = Instant::now();
    let era = if call.modern() { "2026" } else { "2025" };
    let mut child = Command::new(exe)
        .args(["--direct-startup", url, era])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the direct client");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("read");
    let took = t.elapsed();
    assert!(line.contains("\"result\""), "{line}");
    let _ = child.wait();
    took.as_secs_f64() * 1e3
}

/// The direct client's process: build the client, initialize, print.
fn direct_startup_child(url: &str, modern: bool) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let d = Direct::connect(url, if modern { Call::Ping2026 } else { Call::Ping }).await;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", d.init_reply);
        let _ = out.flush();
    });
}

// ---- the direct client ------------------------------------------------------------

struct Direct {
    client: reqwest::Client,
    url: String,
    session: Option<String>,
    init_reply: String,
    next: std::cell::Cell<u64>,
    modern: bool,
}

impl Direct {
    async fn connect(url: &str, call: Call) -> Direct {
        let parsed = url::Url::parse(url).expect("url");
        let client = mcp_auth::mcp::transport::http_client(&parsed, Duration::from_secs(10))
            .expect("client");
        let mut req = client
            .post(url)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json");
        if call.modern() {
            req = req
                .header("mcp-protocol-version", "2026-07-28")
                .header("mcp-method", "server/discover");
        }
        let resp = req.body(call.first()).send().await.expect("initialize");
        let session = resp
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = resp.text().await.expect("body");
        let init_reply = message_of(&body).to_string();
        let d = Direct {
            client,
            url: url.to_string(),
            session,
            init_reply,
            next: std::cell::Cell::new(1),
            modern: call.modern(),
        };
        if !d.modern {
            d.post(INITIALIZED.to_string(), Call::Ping).await;
        }
        d
    }

    async fn post(&self, body: String, call: Call) -> String {
        let version = if self.modern {
            "2026-07-28"
        } else {
            "2025-06-18"
        };
        let mut req = self
            .client
            .post(&self.url)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .header("mcp-protocol-version", version);
        for (k, v) in call.headers() {
            req = req.header(*k, *v);
        }
        if let Some(s) = &self.session
            && !self.modern
        {
            req = req.header("mcp-session-id", s);
        }
        let resp = req.body(body).send().await.expect("send");
        resp.text().await.expect("body")
    }

    async fn call(&self, call: Call) -> Duration {
        let id = self.next.get();
        self.next.set(id + 1);
        let t = Instant::now();
        let body = self.post(call.body(id), call).await;
        let took = t.elapsed();
        let msg = message_of(&body);
        let m: IdOnly = serde_json::from_str(msg).expect("JSON reply");
        assert_eq!(
            m.id.map(|r| r.get().to_string()),
            Some(id.to_string()),
            "{body}"
        );
        took
    }

    async fn run_concurrent(&self, call: Call, n: usize) -> Duration {
        let t = Instant::now();
        let left = std::cell::Cell::new(n);
        let worker = || async {
            while left.get() > 0 {
                left.set(left.get() - 1);
                self.call(call).await;
            }
        };
        let workers: Vec<_> = (0..INFLIGHT).map(|_| worker()).collect();
        futures_util::future::join_all(workers).await;
        t.elapsed()
    }

    async fn close(&self) {
        if let Some(s) = &self.session {
            let _ = self
                .client
                .delete(&self.url)
                .header("mcp-session-id", s)
                .send()
                .await;
        }
    }
}

/// The JSON-RPC message in a JSON or SSE body.
fn message_of(body: &str) -> &str {
    let t = body.trim_start();
    if t.starts_with('{') {
        return t;
    }
    body.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(str::trim)
        .find(|d| d.starts_with('{'))
        .unwrap_or_else(|| panic!("no message in {body:?}"))
}

// ---- memory flatness ------------------------------------------------------------------

struct Flatness {
    peak: u64,
    early: u64,
    early_at: usize,
    late: u64,
    late_at: usize,
}

fn rss_flatness(url: &str, call: Call, total: usize) -> Flatness {
    let mut b = Driven::start(url);
    b.initialize(call);
    let early_at = (total / 10).max(1);
    b.run_concurrent(call, early_at);
    let early = proc_rss(b.pid()).unwrap_or(0);
    b.run_concurrent(call, total - early_at);
    let late = proc_rss(b.pid()).unwrap_or(0);
    let peak = proc_usage(b.pid()).map(|u| u.0).unwrap_or(0);
    b.finish();
    Flatness {
        peak,
        early,
        early_at,
        late,
        late_at: total,
    }
}

// ---- the fast mock ------------------------------------------------------------------

struct Mock {
    url: String,
    _rt: tokio::runtime::Runtime,
}

impl Mock {
    fn start() -> Mock {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("mock runtime");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}/mcp", listener.local_addr().expect("addr"));
        rt.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, hyper::service::service_fn(mock_handle))
                        .await;
                });
            }
        });
        Mock { url, _rt: rt }
    }
}

#[derive(Deserialize)]
struct MockPeek<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    method: Option<&'a str>,
}

async fn mock_handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let respond = |status: u16, body: Bytes| {
        Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .header("mcp-session-id", "mock-session")
            .body(Full::new(body))
            .unwrap_or_default()
    };
    if req.method() != hyper::Method::POST {
        return Ok(respond(
            if req.method() == hyper::Method::GET {
                405
            } else {
                200
            },
            Bytes::new(),
        ));
    }
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(respond(400, Bytes::new())),
    };
    let Ok(peek) = serde_json::from_slice::<MockPeek>(&body) else {
        return Ok(respond(400, Bytes::new()));
    };
    let Some(id) = peek.id else {
        return Ok(respond(202, Bytes::new()));
    };
    let result = if peek.method == Some("initialize") {
        r#"{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"mock","version":"1"}}"#
    } else {
        "{}"
    };
    let out = format!(r#"{{"jsonrpc":"2.0","id":{},"result":{result}}}"#, id.get());
    Ok(respond(200, Bytes::from(out)))
}
