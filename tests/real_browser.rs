//! A login in a real browser: headless Chromium fills oidc-provider's real
//! login and consent forms, follows the redirect to mcp-auth's loopback
//! listener, and the success page is kept as a screenshot in
//! tests/artifacts/. Needs Debian's `chromium` (`.ci/run` installs it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod home;
    pub mod peers;
}

use std::path::PathBuf;
use std::time::{Duration, Instant};

use support::home::{Home, Run};
use support::peers;

fn chromium() -> PathBuf {
    let path =
        PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    assert!(
        path.exists(),
        "{} is missing: the real-browser test needs Chromium \
         (apt-get install -y chromium, as .ci/run does)",
        path.display()
    );
    path
}

#[test]
fn chromium_logs_in_through_real_forms() {
    let chromium = chromium();
    let peer = peers::start("oidc-provider.mjs", &[("ACCESS_TTL", "300")]);
    let issuer = peer.url.clone();
    let home = Home::new();
    home.write_config(&format!(
        "[providers.oidc]\nauthorize_url = \"{issuer}/auth\"\ntoken_url = \"{issuer}/token\"\n\
         userinfo_url = \"{issuer}/me\"\nissuer = \"{issuer}\"\nclient_id = \"mcp-auth-test\"\n\
         scopes = [\"openid\", \"offline_access\", \"email\", \"profile\"]\n\
         extra_params = {{ prompt = \"consent\" }}\n"
    ));
    let artifacts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let screenshot = artifacts.join("real-browser-login.png");
    let _ = std::fs::remove_file(&screenshot);
    let _ = std::fs::remove_file(screenshot.with_extension("png.txt"));
    let browser = format!(
        "{} {}",
        peers::node22().display(),
        peers::peers_dir().join("chromium-login.mjs").display()
    );
    let run = Run(home
        .cmd()
        .args(["login", "oidc", "--json", "--timeout", "90s"])
        .env("MCP_AUTH_BROWSER", &browser)
        .env("SCREENSHOT", &screenshot)
        .env("CHROMIUM", &chromium)
        .output()
        .unwrap());
    let saved = run.ok().json();
    assert_eq!(saved["user"], "alice");
    assert_eq!(saved["email"], "alice@example.com");
    assert_eq!(saved["renewable"], true);
    home.run(&["token", "oidc"]).ok();
    // The browser finishes its screenshot after mcp-auth has its answer.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !screenshot.with_extension("png.txt").exists() {
        assert!(
            Instant::now() < deadline,
            "no screenshot of the success page"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let png = std::fs::read(&screenshot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let page = std::fs::read_to_string(screenshot.with_extension("png.txt")).unwrap();
    assert!(page.contains("/callback"), "{page}");
    assert!(page.contains("mcp-auth has your login"), "{page}");
}
