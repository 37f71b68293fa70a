//! `mcp-auth secrets` and `logout` with the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod fake_as;
    pub mod home;
    pub mod served;
    pub mod token_ledger; // fake_as needs it
}

use support::fake_as::{AsConfig, FakeAs};
use support::home::{Home, Run};

fn set(home: &Home, args: &[&str], value: &str) -> Run {
    let args: Vec<&str> = ["secrets", "set"].iter().chain(args).copied().collect();
    home.run_with_stdin(&args, value)
}

#[test]
fn secrets_are_stored_listed_and_deleted_without_showing_values() {
    let home = Home::new();
    set(
        &home,
        &["linear-key", "--note", "from the Linear settings"],
        "lin_api_SECRET\n",
    )
    .ok();
    set(&home, &["old", "--expires", "2d"], "v").ok();
    let list = home.run(&["secrets", "list", "--json"]).ok().json();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["linear-key", "old"]);
    assert_eq!(list[0]["health"], "valid");
    assert_eq!(list[1]["health"], "expiring_soon");
    let table = home.run(&["secrets", "list"]).ok().stdout();
    assert!(
        table.contains("from the Linear settings") && !table.contains("SECRET"),
        "{table}"
    );
    // The value (without the trailing newline) is in the secrets file only.
    let file = std::fs::read_to_string(home.path().join("data/secrets.json")).unwrap();
    assert!(file.contains("\"lin_api_SECRET\""), "{file}");
    let db = std::fs::read(home.database()).unwrap();
    assert!(!String::from_utf8_lossy(&db).contains("lin_api_SECRET"));

    let deleted = home
        .run(&["secrets", "delete", "linear-key", "--json"])
        .ok()
        .json();
    assert_eq!(
        deleted,
        serde_json::json!([{"name": "linear-key", "deleted": true}])
    );
    let file = std::fs::read_to_string(home.path().join("data/secrets.json")).unwrap();
    assert!(!file.contains("lin_api_SECRET"));
    // Unknown: exit 4, like an unknown credential.
    home.run(&["secrets", "delete", "linear-key"])
        .fails_with(4, "no secret named 'linear-key'");
    let stored = set(&home, &["new", "--json"], "v");
    assert_eq!(stored.ok().json()["replaced"], false);
}

#[test]
fn bad_secret_input_is_refused() {
    let home = Home::new();
    set(&home, &["empty"], "").fails_with(2, "the value is empty");
    set(&home, &["x", "--expires", "someday"], "v").fails_with(2, "--expires");
    set(&home, &["../x"], "v").fails_with(2, "not a usable");
    // A value is never an argument.
    home.run(&["secrets", "set", "x", "value"])
        .fails_with(2, "unexpected argument");
}

#[test]
fn logout_revokes_and_deletes() {
    let server = FakeAs::start(AsConfig::default());
    let home = Home::new();
    home.write_config(&server.provider_toml("acme"));
    home.run(&["login", "acme"]).ok();
    let out = home.run(&["logout", "acme"]);
    assert!(out.ok().stdout().contains("revoked at the provider"));
    assert!(!server.stats().revoked.is_empty());
    home.run(&["logout", "acme"])
        .fails_with(4, "no credential named 'acme'");
}
