//! Daemon benchmarks (`cargo bench --bench daemon`), on the release binary:
//!
//! 1. `mcp-auth token NAME` as a whole process with the daemon up: the
//!    latency a script sees (target: median under 3 ms), beside the same
//!    command without a daemon and the bare socket round trip;
//! 2. `mcp-auth tokens prune` of 1,000,000 dead credentials;
//! 3. the daemon's CPU and memory while it watches 20 credentials and has
//!    nothing to do.
//!
//! Each prints its numbers; the first prints PASS or FAIL against its target.

#[path = "../support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::daemon::{Daemon, seed_dead};
use support::fake_as::{AsConfig, FakeAs};
use support::home::Home;

const TOKEN_TARGET_MS: f64 = 3.0;

fn main() {
    // `cargo bench -- FILTER` passes FILTER; run the benches it names.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f));
    if wanted("token") {
        token_latency();
    }
    if wanted("prune") {
        prune_million();
    }
    if wanted("idle") {
        idle_cost();
    }
}

struct Summary {
    min: f64,
    median: f64,
    p90: f64,
    p99: f64,
    max: f64,
}

fn summarize(mut ms: Vec<f64>) -> Summary {
    ms.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    Summary {
        min: ms[0],
        median: at(0.5),
        p90: at(0.9),
        p99: at(0.99),
        max: ms[ms.len() - 1],
    }
}

fn show(label: &str, n: usize, s: &Summary) {
    println!(
        "  {label:<38} n={n:<4} min {:.2}  median {:.2}  p90 {:.2}  p99 {:.2}  max {:.2} ms",
        s.min, s.median, s.p90, s.p99, s.max
    );
}

/// Runs `token acme` `n` times, each a whole process, and returns the wall
/// times in milliseconds.
fn time_token(home: &Home, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| {
            let mut cmd = home.cmd();
            cmd.args(["token", "acme"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null());
            let started = Instant::now();
            let out = cmd.output().unwrap();
            let took = started.elapsed();
            assert!(out.status.success());
            took.as_secs_f64() * 1000.0
        })
        .collect()
}

fn token_latency() {
    println!("token: `mcp-auth token acme` as a whole process (spawn to exit)");
    let server = FakeAs::start(AsConfig::default());
    let home = Home::new();
    home.write_config(&server.provider_toml("acme"));
    home.run(&["login", "acme"]).ok();

    let _ = time_token(&home, 20);
    let without = summarize(time_token(&home, 200));
    show("without the daemon (SQLite + file store)", 200, &without);

    let d = Daemon::start(&home, &[]);
    let _ = time_token(&home, 50);
    let runs = 1000;
    let with = summarize(time_token(&home, runs));
    show("with the daemon", runs, &with);

    // The daemon's share: one request on a fresh connection, no process.
    let socket = home.path().join("run/daemon.sock");
    let socket_ms: Vec<f64> = (0..1000)
        .map(|_| {
            let started = Instant::now();
            let mut s = std::os::unix::net::UnixStream::connect(&socket).unwrap();
            s.write_all(b"{\"v\":1,\"op\":\"token\",\"name\":\"acme\",\"min_valid\":60}\n")
                .unwrap();
            let mut line = String::new();
            BufReader::new(s).read_line(&mut line).unwrap();
            assert!(line.contains("\"ok\":true"));
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    show("socket round trip only", 1000, &summarize(socket_ms));

    // The floor: a process of this binary that does nothing.
    let floor: Vec<f64> = (0..200)
        .map(|_| {
            let started = Instant::now();
            let out = home
                .cmd()
                .arg("--version")
                .stdout(Stdio::piped())
                .output()
                .unwrap();
            assert!(out.status.success());
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    show(
        "`mcp-auth --version` (process floor)",
        200,
        &summarize(floor),
    );
    drop(d);

    let verdict = if with.median < TOKEN_TARGET_MS {
        "PASS"
    } else {
        "FAIL"
    };
    println!(
        "  {verdict}: median {:.2} ms with the daemon (target < {TOKEN_TARGET_MS} ms)\n",
        with.median
    );
}

fn prune_million() {
    println!("prune: `mcp-auth tokens prune` of 1,000,000 credentials dead for 45 days");
    let home = Home::new();
    let started = Instant::now();
    seed_dead(&home, 1_000_000);
    println!(
        "  seeded 1,000,000 rows and secrets in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let out = home
        .cmd()
        .args(["tokens", "prune", "--retention-days", "30", "--json"])
        .output()
        .unwrap();
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let deleted = report["deleted"].as_array().unwrap().len();
    assert_eq!(deleted, 1_000_000);
    println!(
        "  examined {}, deleted {deleted} in {:.2} s (whole process; the store reports {} ms); peak RSS of the pruning process {} MB\n",
        report["examined"],
        took.as_secs_f64(),
        report["duration_ms"],
        children_max_rss_mb()
    );
}

/// The largest resident set of any finished child so far, in MB.
fn children_max_rss_mb() -> i64 {
    // SAFETY: getrusage fills the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe {
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
    }
    usage.ru_maxrss / 1024
}

fn idle_cost() {
    const WINDOW: Duration = Duration::from_secs(30);
    println!(
        "idle: the daemon watching 20 credentials (tokens live 1 h) for {} s",
        WINDOW.as_secs()
    );
    let server = FakeAs::start(AsConfig::default());
    let home = Home::new();
    home.write_config(&server.provider_toml("acme"));
    for i in 0..20 {
        home.run(&["login", "acme", "--name", &format!("c{i:02}")])
            .ok();
    }
    let d = Daemon::start(&home, &[]);
    std::thread::sleep(Duration::from_secs(2));
    let pid = d.pid();
    let cpu0 = cpu_ticks(pid);
    let started = Instant::now();
    std::thread::sleep(WINDOW);
    let ticks = cpu_ticks(pid) - cpu0;
    let secs = started.elapsed().as_secs_f64();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let cpu = ticks as f64 / hz;
    let (rss, hwm) = memory_kb(pid);
    println!(
        "  CPU {:.3} s in {secs:.0} s ({:.3} %), RSS {} kB (peak {} kB), {} refreshes",
        cpu,
        cpu / secs * 100.0,
        rss,
        hwm,
        d.status().unwrap()["refreshes"]
    );
    println!();
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which may hold spaces), from field 3.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

fn memory_kb(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}
