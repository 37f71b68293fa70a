//! The binary as users install it, for the benches.
//!
//! `cargo bench` links `CARGO_BIN_EXE_mcp-auth` with the features that the
//! dev-dependencies turn on in crates the binary shares with them (tokio's
//! `test-util`, whose clock sits behind a mutex, and its multi-thread
//! scheduler; hyper's server; ...): 330 KB more code than `cargo install`
//! builds, and not the same clock. A bench measures what users run
//! instead: [`binary`] runs `cargo build --release --locked --bin mcp-auth`
//! into `target/shipped`, a directory of its own so that the two feature
//! sets do not rebuild each other, once per process. Cargo does nothing
//! when it is up to date.
//!
//! `BENCH_BINARY=PATH` measures PATH instead, without building: another
//! build to compare with, or a wrapper script that runs the binary under a
//! profiler (`tests/benches/link_order.sh` records which functions the
//! benches' workloads run that way).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The release binary without the dev-dependencies, built on the first
/// call; panics (failing the bench) when cargo fails.
pub fn binary() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| match std::env::var_os("BENCH_BINARY") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => build(),
    })
}

fn build() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // CARGO_BIN_EXE_mcp-auth is <target>/release/mcp-auth.
    let target = PathBuf::from(env!("CARGO_BIN_EXE_mcp-auth"))
        .parent()
        .and_then(|release| release.parent())
        .map(|target| target.join("shipped"))
        .expect("the binary lies in <target>/release");
    eprintln!(
        "building mcp-auth as `cargo install` does (release, no dev-dependencies) in {}",
        target.display()
    );
    let status = Command::new(env!("CARGO"))
        .current_dir(&manifest)
        .args(["build", "--release", "--locked", "--bin", "mcp-auth"])
        .arg("--target-dir")
        .arg(&target)
        .status()
        .expect("run cargo");
    assert!(status.success(), "cargo build --release failed");
    target.join("release").join("mcp-auth")
}
