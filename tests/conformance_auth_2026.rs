//! The authorization scenarios of the conformance suite's 0.2.0-alpha.12
//! release (`conformance-2026` in tests/peers) that the 2026-07-28
//! authorization hardening, DPoP and workload identity answer, through the
//! bridge with the 2025-era driver (tests/conformance/driver.py).
//!
//! Only the scenarios' checks are read (checks.json): the 2025-era driver
//! opens with `initialize`, which a server that speaks only 2026-07-28
//! refuses, so the runner's overall verdict is about the driver, not about
//! authorization. Where a scenario's resource server is of that kind and
//! the authorization happens only after the handshake (step-up, the retry
//! limit, the authorization server migration), the scenario runs at
//! 2025-11-25 (`--force`), whose server takes `initialize`: its
//! authorization checks are the same, except SEP-2350's union check, which
//! only 2026-07-28 asks for (the bridge's step-up asks for the union of
//! held and required scopes at any revision).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::peers;

const BIN: &str = env!("CARGO_BIN_EXE_mcp-auth");

/// Runs one scenario at `spec` and returns its failed or warned checks
/// and the ids of those that succeeded.
fn run(scenario: &str, spec: &str) -> (Vec<String>, Vec<String>) {
    peers::ensure_installed();
    let out = tempfile::tempdir().unwrap();
    let driver = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/driver.py");
    let runner = peers::peers_dir().join("node_modules/conformance-2026/dist/index.js");
    let run = Command::new(peers::node22())
        .arg(&runner)
        .args(["client", "--command"])
        .arg(format!("python3 {}", driver.display()))
        .args(["--scenario", scenario, "--spec-version", spec, "--force"])
        .arg("-o")
        .arg(out.path())
        .args(["--timeout", "30000"])
        .env("MCP_AUTH_BIN", BIN)
        .current_dir(peers::peers_dir())
        .output()
        .expect("run the conformance runner");
    let checks = walk(out.path())
        .into_iter()
        .find(|p| p.ends_with("checks.json"))
        .unwrap_or_else(|| {
            panic!(
                "{scenario}: no results\n{}\n{}",
                String::from_utf8_lossy(&run.stdout),
                String::from_utf8_lossy(&run.stderr)
            )
        });
    let list: serde_json::Value = serde_json::from_slice(&std::fs::read(checks).unwrap()).unwrap();
    let list = list.as_array().unwrap();
    let bad = list
        .iter()
        .filter(|c| matches!(c["status"].as_str(), Some("FAILURE" | "WARNING")))
        .map(|c| format!("{} {}: {}", c["status"], c["id"], c["description"]))
        .collect();
    let good = list
        .iter()
        .filter(|c| c["status"] == "SUCCESS")
        .filter_map(|c| c["id"].as_str().map(str::to_string))
        .collect();
    (bad, good)
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The scenario has no failed or warned check, and `must_pass` among its
/// successes (so a scenario that stopped early cannot pass by saying little).
fn passes(scenario: &str, spec: &str, must_pass: &[&str]) {
    let (bad, good) = run(scenario, spec);
    assert!(
        bad.is_empty(),
        "{scenario} at {spec}:\n  {}",
        bad.join("\n  ")
    );
    for id in must_pass {
        assert!(
            good.iter().any(|g| g == id),
            "{scenario}: {id} did not pass: {good:?}"
        );
    }
}

#[test]
fn dpop_and_its_nonces() {
    let proofs = [
        "sep-837-application-type-present",
        "sep-1932-client-token-request-proof",
        "sep-1932-client-dpop-auth-scheme",
        "sep-1932-client-fresh-proof",
    ];
    passes("auth/dpop", "2026-07-28", &proofs);
    let nonces = [
        "sep-1932-client-as-nonce",
        "sep-1932-client-rs-nonce",
        "sep-1932-client-fresh-proof",
    ];
    passes("auth/dpop-nonce", "2026-07-28", &nonces);
}

#[test]
fn workload_identity_jwt_bearer() {
    passes(
        "auth/wif-jwt-bearer",
        "2026-07-28",
        &["wif-assertion-verified"],
    );
}

#[test]
fn offline_access_only_where_listed() {
    passes(
        "auth/offline-access-scope",
        "2026-07-28",
        // It offers Client ID Metadata Documents, which the driver uses,
        // so no registration (and no grant_types) is seen here.
        &["sep-2207-offline-access-requested"],
    );
    passes(
        "auth/offline-access-not-supported",
        "2026-07-28",
        &["sep-2207-offline-access-not-requested"],
    );
}

#[test]
fn step_up_retry_limit_and_authorization_server_migration() {
    passes(
        "auth/scope-step-up",
        "2025-11-25",
        &["scope-step-up-initial", "scope-step-up-escalation"],
    );
    passes(
        "auth/scope-retry-limit",
        "2025-11-25",
        &["scope-retry-limit"],
    );
    passes(
        "auth/authorization-server-migration",
        "2025-11-25",
        &[
            "sep-2352-reregister-on-as-change",
            "sep-2352-no-reuse-on-as-change",
            "sep-2352-no-cross-as-credential-reuse",
        ],
    );
}
