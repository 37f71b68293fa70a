//! Crash testing: SIGKILL a process at a chosen step of its writes, then
//! check that the store is consistent.
//!
//! [`Watcher`] counts changes to the data directory with inotify (a write
//! to the SQLite WAL or shared memory, a file created, renamed or removed)
//! and kills the process right after the n-th one. Sweeping n from 1 until
//! the command finishes first lands a kill after every write the command
//! makes, give or take the microseconds the kill takes to arrive (a jitter
//! on top varies that).
//!
//! [`check`] states what must hold after any crash, for the file secret
//! store: the database passes `PRAGMA integrity_check`; every credential
//! row has its secret, at a generation no older than the row's; every
//! secret belongs to a row or to a journal entry that recovery will
//! finish, or is a token set, which prune's sweep of the file store
//! deletes when no row owns it; and after recovery ([`age_journal`] then
//! `tokens prune`),
//! [`check_clean`] finds no journal entry, no secret without an owner and
//! no leftover copy of the secrets file.

use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::home::Home;

/// An inotify watch on a directory, armed before the process to kill
/// starts so that none of its changes is missed.
pub struct Watcher {
    fd: OwnedFd,
}

const MASK: u32 =
    libc::IN_MODIFY | libc::IN_CREATE | libc::IN_DELETE | libc::IN_MOVED_FROM | libc::IN_MOVED_TO;

impl Watcher {
    pub fn new(dir: &Path) -> Watcher {
        use std::os::unix::ffi::OsStrExt;
        // SAFETY: inotify_init1 takes flags only; the fd it returns is ours.
        let raw = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        assert!(
            raw >= 0,
            "inotify_init1: {}",
            std::io::Error::last_os_error()
        );
        // SAFETY: `raw` is a fresh, valid fd owned by nothing else.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid inotify fd and a NUL-terminated path.
        let wd = unsafe { libc::inotify_add_watch(fd.as_raw_fd(), path.as_ptr(), MASK) };
        assert!(
            wd >= 0,
            "inotify_add_watch: {}",
            std::io::Error::last_os_error()
        );
        Watcher { fd }
    }

    /// Changes seen so far (drains what is queued).
    fn drain(&self) -> usize {
        let mut buf = [0u8; 8192];
        let mut n = 0;
        loop {
            // SAFETY: reading into a buffer we own, of the length we pass.
            let got =
                unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if got <= 0 {
                return n;
            }
            let mut at = 0usize;
            let header = std::mem::size_of::<libc::inotify_event>();
            while at + header <= got as usize {
                // The name length sits in the last field of the header.
                let len = u32::from_ne_bytes(buf[at + 12..at + 16].try_into().unwrap()) as usize;
                n += 1;
                at += header + len;
            }
        }
    }

    fn wait_readable(&self, timeout: Duration) {
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for the duration of the call.
        unsafe {
            libc::poll(&mut pfd, 1, timeout.as_millis() as i32);
        }
    }

    /// SIGKILLs `pid` `delay` after the `nth` change, unless `done` says
    /// the process ended first. Returns whether it fired.
    pub fn kill_after(
        self,
        pid: u32,
        nth: usize,
        delay: Duration,
        done: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> std::thread::JoinHandle<bool> {
        std::thread::spawn(move || {
            let mut seen = 0;
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                seen += self.drain();
                if seen >= nth {
                    if !delay.is_zero() {
                        spin(delay);
                    }
                    super::daemon::signal(pid, libc::SIGKILL);
                    return true;
                }
                if done.load(std::sync::atomic::Ordering::Acquire) {
                    return false;
                }
                self.wait_readable(Duration::from_millis(5));
            }
            false
        })
    }
}

/// Waits without sleeping (sleep granularity is far coarser than the
/// microseconds between two writes).
fn spin(d: Duration) {
    let until = Instant::now() + d;
    while Instant::now() < until {
        std::hint::spin_loop();
    }
}

/// What became of a command run with a kill armed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// The kill landed: the process died of it.
    Killed,
    /// The n-th change came, but the process finished before the kill.
    Outran,
    /// The command finished having made fewer than n changes.
    Finished,
}

/// Runs `cmd` and SIGKILLs it after the `nth` change to `dir` (plus
/// `delay`); returns what happened and its output.
pub fn run_killed_at(
    mut cmd: std::process::Command,
    dir: &Path,
    nth: usize,
    delay: Duration,
) -> (Fate, std::process::Output) {
    use std::os::unix::process::ExitStatusExt;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let watcher = Watcher::new(dir);
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let killer = watcher.kill_after(child.id(), nth, delay, done.clone());
    let out = child.wait_with_output().unwrap();
    done.store(true, Ordering::Release);
    let fired = killer.join().unwrap();
    let fate = match (fired, out.status.signal() == Some(libc::SIGKILL)) {
        (true, true) => Fate::Killed,
        (true, false) => Fate::Outran,
        (false, _) => Fate::Finished,
    };
    (fate, out)
}

/// Everything the store holds, read straight from its files.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Credential rows: name -> (generation, status).
    pub rows: BTreeMap<String, (i64, String)>,
    pub registrations: BTreeSet<String>,
    pub static_secrets: BTreeSet<String>,
    pub journal: BTreeSet<String>,
    /// Keys in the secrets file, with the generation of token sets.
    pub secrets: BTreeMap<String, Option<i64>>,
    /// Leftover temporary copies of the secrets file.
    pub copies: Vec<PathBuf>,
}

pub fn snapshot(home: &Home) -> Snapshot {
    let mut s = Snapshot::default();
    let conn = rusqlite::Connection::open(home.database()).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok", "the database is damaged");
    let strings = |sql: &str| -> BTreeSet<String> {
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    s.registrations = strings("SELECT client_id FROM registrations");
    s.static_secrets = strings("SELECT name FROM secrets");
    s.journal = strings("SELECT key FROM secret_journal");
    let mut stmt = conn
        .prepare("SELECT name, generation, status FROM credentials")
        .unwrap();
    s.rows = stmt
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let data = home.path().join("data");
    let text = std::fs::read_to_string(data.join("secrets.json")).unwrap_or_default();
    if !text.is_empty() {
        let file: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("the secrets file is damaged: {e}"));
        for (key, value) in file["entries"].as_object().unwrap() {
            let generation = key.strip_prefix("credential/").map(|_| {
                let set: serde_json::Value = serde_json::from_str(value.as_str().unwrap()).unwrap();
                set["generation"].as_i64().unwrap()
            });
            s.secrets.insert(key.clone(), generation);
        }
    }
    for e in std::fs::read_dir(&data).unwrap().flatten() {
        if e.file_name()
            .to_string_lossy()
            .starts_with(".secrets.json.tmp-")
        {
            s.copies.push(e.path());
        }
    }
    s
}

impl Snapshot {
    /// Does a row own this secret key?
    fn owned(&self, key: &str) -> bool {
        if let Some(name) = key.strip_prefix("credential/") {
            self.rows.contains_key(name)
        } else if let Some(name) = key.strip_prefix("secret/") {
            self.static_secrets.contains(name)
        } else if key.starts_with("client/") {
            let id = key.rsplit('/').next().unwrap_or_default();
            self.registrations.contains(id)
        } else {
            false
        }
    }
}

/// The invariants that hold after any crash (see the module docs).
#[track_caller]
pub fn check(home: &Home, when: &str) -> Snapshot {
    let s = snapshot(home);
    for (name, (generation, _)) in &s.rows {
        let key = format!("credential/{name}");
        match s.secrets.get(&key) {
            Some(Some(g)) => assert!(
                g >= generation,
                "{when}: '{name}' has its secret at generation {g} behind its row at {generation}\n{s:#?}"
            ),
            _ => panic!("{when}: the row '{name}' has no secret\n{s:#?}"),
        }
    }
    for key in s.secrets.keys() {
        // A token set without its row is what a prune killed between its
        // rows and its sweep leaves: the next prune's sweep deletes it
        // (check_clean makes sure it did).
        let swept = key.starts_with("credential/");
        assert!(
            s.owned(key) || s.journal.contains(key) || swept,
            "{when}: the secret {key} belongs to nothing and no journal entry will clean it\n{s:#?}"
        );
    }
    s
}

/// After recovery: nothing left to recover and nothing without an owner.
#[track_caller]
pub fn check_clean(home: &Home, when: &str) {
    let s = check(home, when);
    assert!(s.journal.is_empty(), "{when}: journal entries left: {s:#?}");
    for key in s.secrets.keys() {
        assert!(
            s.owned(key),
            "{when}: {key} has no owner after recovery\n{s:#?}"
        );
    }
    assert!(
        s.copies.is_empty(),
        "{when}: copies of the secrets file left: {s:#?}"
    );
}

/// Makes every journal entry older than recovery's grace period, as if the
/// crash had been long ago (the test hook the grace period needs).
pub fn age_journal(home: &Home) {
    let conn = rusqlite::Connection::open(home.database()).unwrap();
    conn.execute(
        "UPDATE secret_journal SET at = at - ?1",
        [mcp_auth::store::JOURNAL_GRACE_SECS + 60],
    )
    .unwrap();
}
