//! Daemon and store benchmarks (`cargo bench --bench daemon`), on the
//! release binary. Each prints its measurements beside its target and
//! PASS or FAIL:
//!
//! 1. `token`: `mcp-auth token NAME` as a whole process with the daemon up,
//!    at most twice the spawn of `/bin/true` measured the same way in the
//!    same run (beside it: the same command without a daemon, the bare
//!    socket round trip, `mcp-auth --version`);
//! 2. `prune`: `tokens prune --json` of 1,000,000 dead credentials (file
//!    store) in at most 2 s and 64 MB peak RSS; its output parses and
//!    names every one;
//! 3. `list`: `tokens list` of 10,000 credentials in at most 100 ms, and
//!    `tokens list --json` of 100,000 in flat memory (peak RSS at most 8 MB
//!    above that of 1,000), complete and parseable;
//! 4. `idle`: the daemon watching 10,000 credentials refreshes each before
//!    its token expires (against the fake token endpoint, the refreshes
//!    due over three minutes), then idles at under 0.1 % CPU in at most
//!    32 MB of RSS.
//!
//! `cargo bench --bench daemon -- NAME` runs the benches whose name
//! contains NAME. Wall times depend on the machine's load; the CPU time of
//! the measured process is printed beside them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this bench uses (files in tests/support/, see its
/// README.md); helpers of these modules it does not call are allowed.
#[allow(dead_code)]
#[path = "../support"]
mod support {
    pub mod daemon;
    pub mod fake_as;
    pub mod home;
    pub mod served;
    pub mod shipped;
    pub mod token_ledger; // fake_as needs it
}

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::daemon::{Daemon, Seed, seed, seed_dead};
use support::fake_as::{AsConfig, FakeAs};
use support::home::Home;

const TOKEN_RATIO_TARGET: f64 = 2.0;
const PRUNE_SECS_TARGET: f64 = 2.0;
const PRUNE_RSS_MB_TARGET: f64 = 64.0;
const LIST_MS_TARGET: f64 = 100.0;
const LIST_JSON_GROWTH_MB_TARGET: f64 = 8.0;
const IDLE_CPU_PCT_TARGET: f64 = 0.1;
const IDLE_RSS_MB_TARGET: f64 = 32.0;

fn main() {
    // `cargo bench -- FILTER` passes FILTER; run the benches it names.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f));
    support::home::use_binary(support::shipped::binary().to_path_buf());
    let mut failed = Vec::new();
    let mut verdict = |name: &'static str, ok: bool| {
        if !ok {
            failed.push(name);
        }
    };
    if wanted("token") {
        verdict("token", token_latency());
    }
    if wanted("prune") {
        verdict("prune", prune_million());
    }
    if wanted("list") {
        verdict("list", list_many());
    }
    if wanted("idle") {
        verdict("idle", daemon_at_scale());
    }
    if failed.is_empty() {
        println!("all targets met");
    } else {
        println!("targets missed: {}", failed.join(", "));
    }
}

fn pass(ok: bool) -> &'static str {
    if ok { "PASS" } else { "FAIL" }
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
        "  {label:<42} n={n:<4} min {:.2}  median {:.2}  p90 {:.2}  p99 {:.2}  max {:.2} ms",
        s.min, s.median, s.p90, s.p99, s.max
    );
}

/// Runs `make()` `n` times, each a whole process, and returns the wall
/// times in milliseconds.
fn time_runs(n: usize, make: impl Fn() -> Command) -> Vec<f64> {
    (0..n)
        .map(|_| {
            let mut cmd = make();
            cmd.stdout(Stdio::piped()).stderr(Stdio::null());
            let started = Instant::now();
            let out = cmd.output().unwrap();
            let took = started.elapsed();
            assert!(out.status.success());
            took.as_secs_f64() * 1000.0
        })
        .collect()
}

fn token_latency() -> bool {
    println!("token: `mcp-auth token acme` as a whole process (spawn to exit)");
    let server = FakeAs::start(AsConfig::default());
    let home = Home::new();
    home.write_config(&server.provider_toml("acme"));
    home.run(&["login", "acme"]).ok();
    let token = || {
        let mut c = home.cmd();
        c.args(["token", "acme"]);
        c
    };

    let _ = time_runs(20, token);
    let without = summarize(time_runs(200, token));
    show("without the daemon (SQLite + file store)", 200, &without);

    let d = Daemon::start(&home, &[]);
    // Interleaved, so that a change in the machine's load hits both.
    let runs = 500;
    let (mut with, mut floor) = (Vec::new(), Vec::new());
    let _ = time_runs(50, token);
    for _ in 0..runs {
        with.extend(time_runs(1, token));
        floor.extend(time_runs(1, || Command::new("/bin/true")));
    }
    let with = summarize(with);
    let floor = summarize(floor);
    show("with the daemon", runs, &with);
    show("`/bin/true` (the spawn floor)", runs, &floor);

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
    let version = summarize(time_runs(200, || {
        let mut c = home.cmd();
        c.arg("--version");
        c
    }));
    show("`mcp-auth --version` (this binary's floor)", 200, &version);
    drop(d);

    let ratio = with.median / floor.median;
    let ok = ratio <= TOKEN_RATIO_TARGET;
    println!(
        "  {}: median {:.2} ms with the daemon = {ratio:.2}x the spawn of /bin/true \
         ({:.2} ms); target <= {TOKEN_RATIO_TARGET}x\n",
        pass(ok),
        with.median,
        floor.median
    );
    ok
}

/// What one finished process cost, from `wait4`.
struct Cost {
    wall: Duration,
    cpu: Duration,
    max_rss_mb: f64,
    stdout: Vec<u8>,
    success: bool,
}

/// Runs `cmd` to the end, reading its stdout as it comes, and measures
/// its own wall time, CPU time and peak RSS (not its children's).
///
/// The peak is the kernel's high-water mark of the process's own memory
/// (`VmHWM`), read every millisecond while it runs: `ru_maxrss` would not
/// do, since a process spawned (vfork) from this bench inherits the
/// bench's own high-water mark at `exec`, hundreds of MB after seeding a
/// million credentials.
fn measure(mut cmd: Command) -> Cost {
    cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
    let started = Instant::now();
    #[allow(clippy::zombie_processes)]
    let mut child = cmd.spawn().unwrap();
    let pid = child.id();
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        out.read_to_end(&mut buf).unwrap();
        buf
    });
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let poller = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut peak_kb = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                match hwm_kb(pid) {
                    Some(kb) => peak_kb = peak_kb.max(kb),
                    None => break,
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            peak_kb
        })
    };
    let mut status = 0;
    // wait4 reaps the child (std's `wait` would not give its rusage).
    // SAFETY: rusage is plain old data, for which all zeroes is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child fills `usage` and `status`.
    let reaped = unsafe { libc::wait4(pid as i32, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(reaped, pid as i32);
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let peak_kb = poller.join().unwrap();
    let stdout = reader.join().unwrap();
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Cost {
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        max_rss_mb: peak_kb as f64 / 1024.0,
        stdout,
        success: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
    }
}

/// A running process's `VmHWM`; `None` once it has exited.
fn hwm_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

fn prune_million() -> bool {
    const N: usize = 1_000_000;
    println!("prune: `mcp-auth tokens prune --json` of 1,000,000 credentials dead for 45 days");
    let home = Home::new();
    let started = Instant::now();
    seed_dead(&home, N);
    let secrets = std::fs::metadata(home.path().join("data/secrets.json"))
        .unwrap()
        .len();
    println!(
        "  seeded 1,000,000 rows and secrets ({} MB secrets file) in {:.1} s",
        secrets / 1_000_000,
        started.elapsed().as_secs_f64()
    );
    let mut cmd = home.cmd();
    cmd.args(["tokens", "prune", "--retention-days", "30", "--json"]);
    let cost = measure(cmd);
    assert!(cost.success, "the prune failed");
    let report: serde_json::Value = serde_json::from_slice(&cost.stdout).unwrap();
    let deleted = report["deleted"].as_array().unwrap();
    assert_eq!(deleted.len(), N);
    assert_eq!(deleted[0], "dead-0000000");
    assert_eq!(deleted[N - 1], format!("dead-{:07}", N - 1));
    assert_eq!(report["examined"], N);
    let left = home.run(&["tokens", "list", "--json"]).ok().json();
    assert_eq!(left.as_array().unwrap().len(), 0);
    let left_secrets = std::fs::metadata(home.path().join("data/secrets.json"))
        .unwrap()
        .len();
    assert!(left_secrets < 100, "{left_secrets} bytes of secrets left");
    let secs = cost.wall.as_secs_f64();
    let ok = secs <= PRUNE_SECS_TARGET && cost.max_rss_mb <= PRUNE_RSS_MB_TARGET;
    println!(
        "  {}: deleted {} in {secs:.2} s (target <= {PRUNE_SECS_TARGET} s; CPU {:.2} s; the \
         store reports {} ms), peak RSS {:.1} MB (target <= {PRUNE_RSS_MB_TARGET} MB)\n",
        pass(ok),
        deleted.len(),
        cost.cpu.as_secs_f64(),
        report["duration_ms"],
        cost.max_rss_mb
    );
    ok
}

/// `n` live credentials, valid for an hour.
fn seed_live(home: &Home, n: usize) {
    let expires = mcp_auth::model::now() + 3600;
    seed(home, n, "https://as/token", |i| Seed {
        name: format!("cred-{i:06}"),
        access_expires_at: expires,
        refresh_token: Some(format!("rt-{i}")),
    });
}

fn list_many() -> bool {
    println!("list: `mcp-auth tokens list` of 10,000 credentials, `--json` of 1,000 and 100,000");
    let home = Home::new();
    seed_live(&home, 10_000);
    let list = || {
        let mut c = home.cmd();
        c.args(["tokens", "list"]);
        c
    };
    let table = measure(list());
    assert!(table.success);
    let text = String::from_utf8(table.stdout).unwrap();
    assert_eq!(text.matches(" cred-").count(), 10_000, "every row listed");
    let _ = time_runs(3, list);
    let times = summarize(time_runs(20, list));
    show("`tokens list`, 10,000 credentials", 20, &times);
    let list_ok = times.median <= LIST_MS_TARGET;
    println!(
        "  {}: median {:.1} ms (target <= {LIST_MS_TARGET} ms; one run: CPU {:.1} ms, peak RSS \
         {:.1} MB)",
        pass(list_ok),
        times.median,
        table.cpu.as_secs_f64() * 1000.0,
        table.max_rss_mb
    );

    let json_rss = |n: usize| {
        let home = Home::new();
        seed_live(&home, n);
        let mut c = home.cmd();
        c.args(["tokens", "list", "--json"]);
        let cost = measure(c);
        assert!(cost.success);
        let all: serde_json::Value = serde_json::from_slice(&cost.stdout).unwrap();
        let all = all.as_array().unwrap();
        assert_eq!(all.len(), n, "every credential listed");
        assert_eq!(all[n - 1]["name"], format!("cred-{:06}", n - 1));
        println!(
            "  `tokens list --json`, {n:>7} credentials: {:.2} s, CPU {:.2} s, peak RSS {:.1} MB, \
             {} MB of JSON",
            cost.wall.as_secs_f64(),
            cost.cpu.as_secs_f64(),
            cost.max_rss_mb,
            cost.stdout.len() / 1_000_000
        );
        cost.max_rss_mb
    };
    let small = json_rss(1_000);
    let large = json_rss(100_000);
    let growth = large - small;
    let json_ok = growth <= LIST_JSON_GROWTH_MB_TARGET;
    println!(
        "  {}: peak RSS grows {growth:.1} MB from 1,000 to 100,000 credentials (target <= \
         {LIST_JSON_GROWTH_MB_TARGET} MB)\n",
        pass(json_ok)
    );
    list_ok && json_ok
}

fn daemon_at_scale() -> bool {
    const N: usize = 10_000;
    /// The refreshes come due over this window after the daemon starts.
    const SPREAD_SECS: i64 = 180;
    /// The default `refresh_ahead`: due this long before expiry (less up
    /// to a fifth of it, the jitter).
    const AHEAD_SECS: i64 = 300;
    const IDLE_WINDOW: Duration = Duration::from_secs(30);
    println!(
        "idle: the daemon watching {N} credentials; all come due within {SPREAD_SECS} s, then \
         {} s of nothing to do",
        IDLE_WINDOW.as_secs()
    );
    let server = FakeAs::start(AsConfig::default());
    let home = Home::new();
    home.write_config(&server.provider_toml("acme"));
    let token_url = format!("{}/token", server.url);
    // Due (at the latest) from 20 s on, spread evenly over the window.
    let start = mcp_auth::model::now() + 20 + AHEAD_SECS;
    let expiry = |i: usize| start + (i as i64 * SPREAD_SECS) / N as i64;
    seed(&home, N, &token_url, |i| Seed {
        name: format!("cred-{i:06}"),
        access_expires_at: expiry(i),
        refresh_token: Some(server.mint_refresh_token()),
    });
    let d = Daemon::start(&home, &[]);
    let pid = d.pid();
    let cpu0 = cpu_ticks(pid);
    let started = Instant::now();
    let deadline = Duration::from_secs((20 + SPREAD_SECS + 60) as u64);
    while d.status().unwrap()["refreshes"].as_u64().unwrap_or(0) < N as u64
        && started.elapsed() < deadline
    {
        std::thread::sleep(Duration::from_secs(1));
    }
    let busy = started.elapsed().as_secs_f64();
    let busy_cpu = (cpu_ticks(pid) - cpu0) as f64 / clock_ticks();
    let (_, busy_hwm) = memory_kb(pid);
    let status = d.status().unwrap();
    // Each refreshed before its old token expired: its row's refresh time.
    let conn = rusqlite::Connection::open(home.database()).unwrap();
    let mut stmt = conn
        .prepare("SELECT name, last_refreshed_at FROM credentials")
        .unwrap();
    let rows: Vec<(String, Option<i64>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let (mut on_time, mut late, mut never) = (0, 0, 0);
    for (name, refreshed) in &rows {
        let i: usize = name["cred-".len()..].parse().unwrap();
        match refreshed {
            Some(t) if *t < expiry(i) => on_time += 1,
            Some(_) => late += 1,
            None => never += 1,
        }
    }
    println!(
        "  refreshing: {} refreshes, {} failures in {busy:.0} s; CPU {busy_cpu:.1} s; peak RSS \
         {:.1} MB",
        status["refreshes"],
        status["refresh_failures"],
        busy_hwm as f64 / 1024.0
    );
    let refresh_ok = on_time == N;
    println!(
        "  {}: {on_time} of {N} refreshed before their token expired, {late} late, {never} not \
         refreshed (target: all on time)",
        pass(refresh_ok)
    );

    let cpu1 = cpu_ticks(pid);
    let idle_started = Instant::now();
    std::thread::sleep(IDLE_WINDOW);
    let cpu = (cpu_ticks(pid) - cpu1) as f64 / clock_ticks();
    let secs = idle_started.elapsed().as_secs_f64();
    let (rss, _) = memory_kb(pid);
    let pct = cpu / secs * 100.0;
    let rss_mb = rss as f64 / 1024.0;
    let idle_ok = pct < IDLE_CPU_PCT_TARGET && rss_mb <= IDLE_RSS_MB_TARGET;
    println!(
        "  {}: idle CPU {cpu:.3} s in {secs:.0} s = {pct:.3} % (target < {IDLE_CPU_PCT_TARGET} %), \
         RSS {rss_mb:.1} MB (target <= {IDLE_RSS_MB_TARGET} MB), watching {}\n",
        pass(idle_ok),
        d.status().unwrap()["watched"]
    );
    drop(d);
    refresh_ok && idle_ok
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_CLK_TCK) as f64 }
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
