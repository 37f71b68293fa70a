//! The official MCP conformance suite (`@modelcontextprotocol/conformance`,
//! pinned in tests/peers) in client mode, through `mcp-auth bridge`:
//! tests/conformance/driver.py is the client command; it runs the bridge on
//! the URL the runner appends, with a throwaway home and a browser that
//! follows the redirect, and speaks MCP over the bridge's stdio.
//!
//! Every scenario's checks are read from the runner's results: a scenario
//! passes when none of its checks is a FAILURE or a WARNING. A scenario
//! that cannot pass must be listed in [`EXPECTED_FAILURES`] with the reason;
//! a listed scenario that passes fails the test too, so the list stays true.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::home::BIN;
use support::peers;

/// Scenarios known not to pass, and why. Keep this empty.
const EXPECTED_FAILURES: &[(&str, &str)] = &[];

/// Runs the runner with `selector` (`--suite x` or `--scenario y`) and
/// returns each scenario's failed or warned checks.
fn run(selector: &[&str]) -> BTreeMap<String, Vec<String>> {
    peers::ensure_installed();
    let out = tempfile::tempdir().unwrap();
    let driver = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/driver.py");
    let runner =
        peers::peers_dir().join("node_modules/@modelcontextprotocol/conformance/dist/index.js");
    let status = Command::new(peers::node22())
        .arg(&runner)
        .arg("client")
        .arg("--command")
        .arg(format!("python3 {}", driver.display()))
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
        let name = leaf.split("-20").next().unwrap_or(&leaf).to_string();
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
