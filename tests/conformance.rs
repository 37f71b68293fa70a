//! The official MCP conformance suite (`@modelcontextprotocol/conformance`,
//! pinned in tests/peers) in client mode, through `mcp-auth bridge`:
//!
//! - 0.1.16 (2025-11-25): tests/conformance/driver.py is the client
//!   command; it runs the bridge on the URL the runner appends, with a
//!   throwaway home and a browser that follows the redirect, and speaks
//!   2025-era MCP over the bridge's stdio;
//! - 0.2.0-alpha.12 (`--requirements 2026-07-28`, pinned as
//!   `conformance-2026`): tests/peers/conformance-driver-2026.mjs, the
//!   TypeScript SDK v2 client (2.4.0) over stdio in front of the bridge,
//!   negotiating 2026-07-28 with `server/discover`.
//!
//! Every scenario's checks are read from the runner's results: a scenario
//! passes when none of its checks is a FAILURE or a WARNING. A scenario
//! that cannot pass must be listed in [`EXPECTED_FAILURES`] with the reason;
//! a listed scenario that passes fails the test too, so the list stays true.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
/// (`path` names the directory because this file has a `conformance/`
/// beside it, where rustfmt would otherwise look.)
#[allow(dead_code)]
#[path = "support"]
mod support {
    pub mod home;
    pub mod peers;
}

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::home::BIN;
use support::peers;

/// Scenarios known not to pass, and why. Keep this empty.
const EXPECTED_FAILURES: &[(&str, &str)] = &[];

/// Runs the 0.1.16 runner with `selector` (`--suite x` or `--scenario y`)
/// and returns each scenario's failed or warned checks.
fn run(selector: &[&str]) -> BTreeMap<String, Vec<String>> {
    let driver = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/driver.py");
    run_with(
        "node_modules/@modelcontextprotocol/conformance/dist/index.js",
        &format!("python3 {}", driver.display()),
        selector,
    )
}

/// The 0.2.0-alpha.12 runner with the 2026-era driver.
fn run_2026(selector: &[&str]) -> BTreeMap<String, Vec<String>> {
    let driver = peers::peers_dir().join("conformance-driver-2026.mjs");
    run_with(
        "node_modules/conformance-2026/dist/index.js",
        &format!("{} {}", peers::node22().display(), driver.display()),
        selector,
    )
}

fn run_with(runner: &str, command: &str, selector: &[&str]) -> BTreeMap<String, Vec<String>> {
    peers::ensure_installed();
    let out = tempfile::tempdir().unwrap();
    let runner = peers::peers_dir().join(runner);
    let status = Command::new(peers::node22())
        .arg(&runner)
        .arg("client")
        .arg("--command")
        .arg(command)
        .args(selector)
        .arg("-o")
        .arg(out.path())
        .args(["--timeout", "30000"])
        .env("MCP_AUTH_BIN", BIN)
        .current_dir(peers::peers_dir())
        .output()
        .expect("run the conformance suite");
    let results = read_results(out.path());
    assert!(
        !results.is_empty(),
        "the conformance runner produced no results:\n{}\n{}",
        String::from_utf8_lossy(&status.stdout),
        String::from_utf8_lossy(&status.stderr)
    );
    // An unexpected failure is shown with the runner's own account of it
    // (each scenario's client and bridge stderr), printed with the failure.
    let unexpected = results
        .iter()
        .any(|(s, bad)| !bad.is_empty() && !EXPECTED_FAILURES.iter().any(|(e, _)| e == s));
    if unexpected {
        eprintln!("{}", String::from_utf8_lossy(&status.stdout));
    }
    results
}

/// scenario name -> "STATUS id: description" of each failed or warned check.
fn read_results(dir: &Path) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for checks in walk(dir).into_iter().filter(|p| p.ends_with("checks.json")) {
        let scenario_dir = checks.parent().unwrap();
        // <out>/<group>/<scenario>-<timestamp>/checks.json
        let leaf = scenario_dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        // The timestamp is `-YYYY-MM-DDTHH-MM-SS-mmmZ` (25 characters);
        // a scenario's own name may hold "-20" too.
        const STAMP: usize = "-2026-12-02T07-59-53-101Z".len();
        let name = match leaf.len().checked_sub(STAMP) {
            Some(cut) if leaf.ends_with('Z') && leaf[cut..].starts_with("-20") => {
                leaf[..cut].to_string()
            }
            _ => leaf.clone(),
        };
        let group = scenario_dir
            .parent()
            .filter(|p| p != &dir)
            .and_then(|p| p.file_name())
            .map(|g| format!("{}/", g.to_string_lossy()))
            .unwrap_or_default();
        let list: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&checks).unwrap()).unwrap();
        let bad = list
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| matches!(c["status"].as_str(), Some("FAILURE" | "WARNING")))
            .map(|c| {
                format!(
                    "{} {}: {}",
                    c["status"].as_str().unwrap_or(""),
                    c["id"].as_str().unwrap_or(""),
                    c["errorMessage"]
                        .as_str()
                        .or(c["description"].as_str())
                        .unwrap_or("")
                )
            })
            .collect();
        out.insert(format!("{group}{name}"), bad);
    }
    out
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

fn check(results: BTreeMap<String, Vec<String>>, expected_scenarios: &[&str]) {
    for s in expected_scenarios {
        assert!(
            results.contains_key(*s),
            "scenario {s} did not run: {:?}",
            results.keys()
        );
    }
    let mut problems = Vec::new();
    for (scenario, bad) in &results {
        let expected = EXPECTED_FAILURES.iter().any(|(s, _)| s == scenario);
        match (bad.is_empty(), expected) {
            (true, false) | (false, true) => {}
            (false, false) => {
                problems.push(format!("{scenario} failed:\n    {}", bad.join("\n    ")))
            }
            (true, true) => problems.push(format!(
                "{scenario} now passes: remove it from EXPECTED_FAILURES"
            )),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn auth_suite() {
    check(
        run(&["--suite", "auth"]),
        &[
            "auth/metadata-default",
            "auth/metadata-var1",
            "auth/metadata-var2",
            "auth/metadata-var3",
            "auth/basic-cimd",
            "auth/scope-from-www-authenticate",
            "auth/scope-from-scopes-supported",
            "auth/scope-omitted-when-undefined",
            "auth/scope-step-up",
            "auth/scope-retry-limit",
            "auth/token-endpoint-auth-basic",
            "auth/token-endpoint-auth-post",
            "auth/token-endpoint-auth-none",
            "auth/pre-registration",
        ],
    );
}

#[test]
fn backcompat_suite() {
    check(
        run(&["--suite", "backcompat"]),
        &[
            "auth/2025-03-26-oauth-metadata-backcompat",
            "auth/2025-03-26-oauth-endpoint-fallback",
        ],
    );
}

#[test]
fn draft_suite() {
    check(
        run(&["--suite", "draft"]),
        &[
            "auth/resource-mismatch",
            "auth/offline-access-scope",
            "auth/offline-access-not-supported",
        ],
    );
}

#[test]
fn extensions_suite() {
    check(
        run(&["--suite", "extensions"]),
        &[
            "auth/client-credentials-jwt",
            "auth/client-credentials-basic",
            "auth/cross-app-access-complete-flow",
        ],
    );
}

/// The core client scenarios a bridge takes part in.
#[test]
fn core_scenarios() {
    let mut all = BTreeMap::new();
    for scenario in [
        "initialize",
        "tools_call",
        "sse-retry",
        "elicitation-sep1034-client-defaults",
    ] {
        all.extend(run(&["--scenario", scenario]));
    }
    check(
        all,
        &[
            "initialize",
            "tools_call",
            "sse-retry",
            "elicitation-sep1034-client-defaults",
        ],
    );
}

/// Every scenario MCP 2026-07-28 requires, and the extensions beside it,
/// with a 2026-era client (TypeScript SDK v2) driving the bridge.
#[test]
fn revision_2026_07_28() {
    check(
        run_2026(&["--requirements", "2026-07-28"]),
        &[
            "tools_call",
            "request-metadata",
            "sep-2322-client-request-state",
            "http-standard-headers",
            "http-custom-headers",
            "http-invalid-tool-headers",
            "json-schema-ref-no-deref",
            "json-schema-2020-12-preservation",
            "auth/metadata-default",
            "auth/scope-step-up",
            "auth/authorization-server-migration",
            "auth/iss-supported",
            "auth/dpop",
            "auth/wif-jwt-bearer",
        ],
    );
}
