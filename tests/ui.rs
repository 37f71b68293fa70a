//! `mcp-auth ui`, the dashboard: driven in headless Chromium through list,
//! live update, details, refresh, a new login, revoke, bulk revoke, secret
//! delete and the daemon, prune and audit pages, against real logins to the
//! in-process fake authorization server, with screenshots kept in
//! tests/artifacts/; and, with raw HTTP, every request without the cookie,
//! with a foreign Host or Origin, or without the CSRF token refused with
//! nothing changed. Needs Debian's `chromium` (`tests/all.sh` installs it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod daemon;
    pub mod fake_as;
    pub mod home;
    pub mod peers;
    pub mod served; // fake_as needs it
    pub mod token_ledger; // fake_as needs it
}

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use support::daemon::Daemon;
use support::fake_as::{AsConfig, FakeAs, McpKnobs};
use support::home::Home;
use support::peers;

fn chromium() -> PathBuf {
    let path =
        PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    assert!(
        path.exists(),
        "{} is missing: the dashboard test needs Chromium \
         (apt-get install -y chromium, as tests/all.sh does)",
        path.display()
    );
    path
}

/// A home with three provider credentials (alpha, beta, gamma), an MCP
/// server's credential and two secrets, all from real logins to `fake`,
/// and one (legacy) from `short`, whose token has expired with no way to
/// renew it. `short` must outlive the home's use.
fn seeded(fake: &FakeAs, short: &FakeAs) -> Home {
    let home = Home::new();
    home.write_config(&format!(
        "{}{}",
        fake.provider_toml("acme"),
        short.provider_toml("legacy-api")
    ));
    for name in ["alpha", "beta", "gamma"] {
        home.run(&["login", "acme", "--name", name]).ok();
    }
    home.run(&["login", &fake.mcp_url()]).ok();
    home.run(&["login", "legacy-api", "--name", "legacy"]).ok();
    for (name, value, note) in [
        ("deploy-key", "s3cr3t-deploy-value", "CI deploys"),
        ("search-key", "s3cr3t-search-value", "search API"),
    ] {
        home.run_with_stdin(&["secrets", "set", name, "--note", note], value)
            .ok();
    }
    home
}

/// A running `mcp-auth ui`, stopped when dropped.
struct Dashboard {
    child: Child,
    url: String,
    port: u16,
}

impl Dashboard {
    fn start(home: &Home, args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Dashboard {
        let mut cmd = home.cmd();
        cmd.arg("ui")
            .args(args)
            .arg("--json")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        // The ready line is a pretty-printed object: read up to its end.
        let mut text = String::new();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        while !text.trim_end().ends_with('}') {
            let mut line = String::new();
            assert!(
                out.read_line(&mut line).unwrap() > 0,
                "mcp-auth ui ended before it was ready"
            );
            text.push_str(&line);
        }
        // Keep draining stdout (login messages) so the dashboard never
        // blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let ready: serde_json::Value = serde_json::from_str(&text).unwrap();
        Dashboard {
            child,
            url: ready["url"].as_str().unwrap().to_string(),
            port: ready["port"].as_u64().unwrap() as u16,
        }
    }

    fn key(&self) -> &str {
        self.url.split("key=").nth(1).unwrap()
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 exchange with exactly the given request head: a browser
/// cannot forge Host or Origin, but a local process can, so the tests do.
struct Answer {
    status: u16,
    head: String,
    body: String,
}

fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: 127.0.0.1:{port}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() {
        req.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    Answer {
        status: head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
        head: head.to_string(),
        body: body.to_string(),
    }
}

/// Signs in with the key: the session cookie (`name=value`) and the CSRF
/// token of a page.
fn sign_in(d: &Dashboard) -> (String, String) {
    let a = http(d.port, "GET", &format!("/start?key={}", d.key()), &[], "");
    assert_eq!(a.status, 200, "{}", a.head);
    let set = a
        .head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .expect("a session cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_string();
    let page = http(d.port, "GET", "/", &[("Cookie", &cookie)], "");
    assert_eq!(page.status, 200);
    let csrf = page
        .body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a CSRF token in the page")
        .to_string();
    (cookie, csrf)
}

fn names(home: &Home) -> Vec<String> {
    let list = home.run(&["tokens", "list", "--json"]).ok().json();
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

/// The authorization server of most credentials, and one that issues
/// one-second tokens without refresh tokens.
fn fakes() -> (FakeAs, FakeAs) {
    let fake = FakeAs::start(AsConfig::default());
    fake.set_mcp(McpKnobs::default());
    let short = FakeAs::start(AsConfig {
        access_ttl: 1,
        issue_refresh: false,
        ..AsConfig::default()
    });
    (fake, short)
}

#[test]
fn chromium_works_the_dashboard() {
    let chromium = chromium();
    peers::ensure_installed();
    let (fake, short) = fakes();
    let home = seeded(&fake, &short);
    let daemon = Daemon::start(&home, &[]);
    let artifacts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let work = tempfile::tempdir().unwrap();
    let steps = work.path().join("steps");
    let result_file = work.path().join("result.json");
    std::fs::write(&steps, "").unwrap();
    let browser = format!(
        "{} {}",
        peers::node22().display(),
        peers::peers_dir().join("ui-driver.mjs").display()
    );
    let env: Vec<(&str, std::ffi::OsString)> = vec![
        ("MCP_AUTH_BROWSER", browser.into()),
        ("CHROMIUM", chromium.into()),
        ("ARTIFACTS", artifacts.clone().into()),
        ("STEPS", steps.clone().into()),
        ("RESULT", result_file.clone().into()),
        ("LIVE_NAME", "delta".into()),
    ];
    let env_refs: Vec<(&str, &std::ffi::OsStr)> =
        env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    let dashboard = Dashboard::start(&home, &[], &env_refs);

    // The browser opens on a private file, not on the address with the key.
    let opener = home.path().join(format!("run/ui-{}.html", dashboard.port));
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut live_done = false;
    loop {
        let text = std::fs::read_to_string(&steps).unwrap();
        if !live_done && text.contains("live-ready") {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&opener).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "the opener page is private");
            // A change from another process, while the page is open.
            home.run(&["login", "acme", "--name", "delta"]).ok();
            live_done = true;
        }
        if text.contains("end") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the browser did not finish; steps so far:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&result_file).unwrap()).unwrap();
    assert_eq!(r["ok"], true, "the browser scenario failed: {r:#}");
    let texts = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap_or("").to_string())
            .collect()
    };

    // The cookie is not readable by the page's script.
    assert_eq!(r["cookieVisibleToScript"], "");
    assert_eq!(r["cspViolations"].as_array().unwrap().len(), 0, "{r:#}");
    let initial = texts(&r["initialRows"]);
    for n in ["alpha", "beta", "gamma"] {
        assert!(initial.contains(&n.to_string()), "{initial:?}");
    }
    assert_eq!(initial.len(), 5, "four provider logins and one MCP server");
    assert_eq!(texts(&r["filtered"]), vec!["beta"]);
    // The login from the terminal appeared through the event stream.
    assert!(r["reloadedLive"].as_u64().unwrap() >= 1, "{r:#}");
    assert_eq!(r["navigations"], 1, "no page load for a live change");

    let detail = r["detailText"].as_str().unwrap();
    assert!(
        detail.contains("acme") && detail.contains("read write"),
        "{detail}"
    );
    assert!(texts(&r["detailEvents"]).contains(&"login".to_string()));
    assert!(
        r["refreshFlash"]
            .as_str()
            .unwrap()
            .contains("alpha: refreshed"),
        "{r:#}"
    );
    assert!(
        r["loginFlash"]
            .as_str()
            .unwrap()
            .contains("Login for alpha started")
    );
    assert!(
        r["revokeFlash"].as_str().unwrap().starts_with("alpha: "),
        "{r:#}"
    );
    assert!(!texts(&r["afterRevoke"]).contains(&"alpha".to_string()));
    let bulk = r["bulkFlash"].as_str().unwrap();
    assert!(
        bulk.contains("beta: ") && bulk.contains("gamma: "),
        "{bulk}"
    );
    let after_bulk = texts(&r["afterBulk"]);
    assert!(
        !after_bulk.contains(&"beta".to_string()) && !after_bulk.contains(&"gamma".to_string())
    );
    assert!(after_bulk.contains(&"delta".to_string()));
    // Each revoke asked first.
    assert_eq!(r["dialogs"].as_array().unwrap().len(), 3, "{r:#}");

    let secrets = r["secretsText"].as_str().unwrap();
    assert!(secrets.contains("deploy-key") && secrets.contains("CI deploys"));
    assert!(
        !secrets.contains("s3cr3t"),
        "a secret value reached the page"
    );
    assert!(
        r["secretFlash"]
            .as_str()
            .unwrap()
            .contains("Deleted the secret deploy-key")
    );
    assert_eq!(texts(&r["secretsAfter"]), vec!["search-key"]);
    let daemon_text = r["daemonText"].as_str().unwrap();
    assert!(
        daemon_text.contains(&format!("running (pid {}", daemon.pid())),
        "{daemon_text}"
    );
    assert!(daemon_text.contains("Next refreshes"), "{daemon_text}");
    assert!(daemon_text.contains("delta"), "{daemon_text}");
    assert!(
        r["pruneText"]
            .as_str()
            .unwrap()
            .contains("would be deleted")
    );
    assert!(r["auditText"].as_str().unwrap().contains("revoke"));

    // What the browser did is what is stored now.
    let left = names(&home);
    assert!(!left.contains(&"alpha".to_string()) && !left.contains(&"beta".to_string()));
    assert!(left.contains(&"delta".to_string()), "{left:?}");
    assert!(fake.stats().revoked.len() >= 3, "revoked at the provider");
    let secrets = home.run(&["secrets", "list", "--json"]).ok().json();
    assert_eq!(secrets.as_array().unwrap().len(), 1);
    for shot in [
        "ui-credentials.png",
        "ui-credential.png",
        "ui-after-revoke.png",
        "ui-secrets.png",
        "ui-daemon.png",
        "ui-audit.png",
    ] {
        let png = std::fs::read(artifacts.join(shot)).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{shot}");
    }
    drop(dashboard);
    // The opener page goes with the dashboard.
    let deadline = Instant::now() + Duration::from_secs(5);
    while opener.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    daemon.terminate();
}

#[test]
fn refused_requests_change_nothing() {
    let (fake, short) = fakes();
    let home = seeded(&fake, &short);
    let access = home
        .run(&["token", "alpha"])
        .ok()
        .stdout()
        .trim()
        .to_string();
    let d = Dashboard::start(&home, &["--no-browser"], &[]);
    let port = d.port;
    let origin = format!("http://127.0.0.1:{port}");

    // A wrong key buys nothing.
    let wrong = http(port, "GET", "/start?key=not-the-key", &[], "");
    assert_eq!(wrong.status, 401);
    assert!(!wrong.head.to_lowercase().contains("set-cookie"));
    let (cookie, csrf) = sign_in(&d);

    // Reads: no cookie, or a foreign Host (DNS rebinding), are refused.
    assert_eq!(http(port, "GET", "/", &[], "").status, 401);
    assert_eq!(http(port, "GET", "/events", &[], "").status, 401);
    assert_eq!(
        http(
            port,
            "GET",
            "/",
            &[
                ("Host", &format!("rebind.example:{port}")),
                ("Cookie", &cookie)
            ],
            ""
        )
        .status,
        400
    );
    assert_eq!(
        http(
            port,
            "GET",
            "/",
            &[("Host", "127.0.0.1:1"), ("Cookie", &cookie)],
            ""
        )
        .status,
        400
    );

    // Changes: each refusal leaves the credentials and secrets as they were.
    let before = names(&home);
    let revoke = format!("csrf={csrf}&name=alpha&name=beta&back=%2F");
    // (what is wrong, request headers, form, the status it gets)
    type Attempt<'a> = (&'a str, Vec<(&'a str, String)>, String, u16);
    let attempts: Vec<Attempt> = vec![
        (
            "no cookie",
            vec![("Origin", origin.clone())],
            revoke.clone(),
            401,
        ),
        (
            "foreign Origin",
            vec![
                ("Origin", "https://evil.example".into()),
                ("Cookie", cookie.clone()),
            ],
            revoke.clone(),
            403,
        ),
        (
            "no Origin",
            vec![("Cookie", cookie.clone())],
            revoke.clone(),
            403,
        ),
        (
            "localhost Origin",
            vec![
                ("Origin", format!("http://localhost:{port}")),
                ("Cookie", cookie.clone()),
            ],
            revoke.clone(),
            403,
        ),
        (
            "no CSRF token",
            vec![("Origin", origin.clone()), ("Cookie", cookie.clone())],
            "name=alpha&name=beta".into(),
            403,
        ),
        (
            "wrong CSRF token",
            vec![("Origin", origin.clone()), ("Cookie", cookie.clone())],
            "csrf=guess&name=alpha".into(),
            403,
        ),
        (
            "foreign Host",
            vec![
                ("Host", format!("rebind.example:{port}")),
                ("Origin", format!("http://rebind.example:{port}")),
                ("Cookie", cookie.clone()),
            ],
            revoke.clone(),
            400,
        ),
    ];
    for (what, headers, body, status) in &attempts {
        for path in ["/revoke", "/secrets/delete", "/prune", "/refresh", "/login"] {
            let body = if path == "/secrets/delete" {
                body.replace("name=alpha", "name=deploy-key")
            } else {
                body.clone()
            };
            let hs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let a = http(port, "POST", path, &hs, &body);
            assert_eq!(a.status, *status, "{what} {path}: {}", a.head);
        }
    }
    // A GET cannot change anything either.
    let get = http(
        port,
        "GET",
        &format!("/revoke?{revoke}"),
        &[("Cookie", &cookie)],
        "",
    );
    assert_eq!(get.status, 404);
    assert_eq!(
        names(&home),
        before,
        "a refused request changed credentials"
    );
    let secrets = home.run(&["secrets", "list", "--json"]).ok().json();
    assert_eq!(secrets.as_array().unwrap().len(), 2);
    assert!(fake.stats().revoked.is_empty());

    // No page carries a token or secret value.
    let pages = [
        "/",
        "/credential?name=alpha",
        "/secrets",
        "/audit",
        "/daemon",
        "/prune",
    ];
    for p in pages {
        let a = http(port, "GET", p, &[("Cookie", &cookie)], "");
        assert_eq!(a.status, 200, "{p}");
        assert!(!a.body.contains(&access), "the access token is in {p}");
        assert!(!a.body.contains("s3cr3t"), "a secret value is in {p}");
        let head = a.head.to_lowercase();
        assert!(
            head.contains("content-security-policy: default-src 'none'"),
            "{p}"
        );
        assert!(head.contains("x-frame-options: deny"), "{p}");
        assert!(head.contains("cache-control: no-store"), "{p}");
    }
    // Markup in a stored value is shown as text.
    let list = http(port, "GET", "/?q=%3Cscript%3E", &[("Cookie", &cookie)], "");
    assert!(
        !list.body.contains("<script>"),
        "the search text is escaped"
    );

    // The control: with cookie, Origin and token the same request works.
    let ok = http(
        port,
        "POST",
        "/revoke",
        &[("Origin", &origin), ("Cookie", &cookie)],
        &revoke,
    );
    assert_eq!(ok.status, 303, "{}", ok.head);
    let left = names(&home);
    assert!(!left.contains(&"alpha".to_string()) && !left.contains(&"beta".to_string()));
    assert!(fake.stats().revoked.len() >= 2);
    // And a prune with retention 0 takes what is dead now: the expired
    // credential without a refresh token (its one-second token has run
    // out), nothing else.
    let deadline = Instant::now() + Duration::from_secs(10);
    while home
        .run(&["tokens", "show", "legacy", "--json"])
        .ok()
        .json()["health"]
        != "expired"
    {
        assert!(Instant::now() < deadline, "legacy never expired");
        std::thread::sleep(Duration::from_millis(200));
    }
    let pruned = http(
        port,
        "POST",
        "/prune",
        &[("Origin", &origin), ("Cookie", &cookie)],
        &format!("csrf={csrf}&days=0&back=%2Fprune"),
    );
    assert_eq!(pruned.status, 303, "{}", pruned.head);
    let location = pruned
        .head
        .lines()
        .find_map(|l| l.strip_prefix("location: "))
        .unwrap();
    let page = http(port, "GET", location, &[("Cookie", &cookie)], "");
    assert!(page.body.contains("Deleted 1 of"), "{}", page.body);
    let after = names(&home);
    assert!(!after.contains(&"legacy".to_string()), "{after:?}");
    assert!(after.contains(&"gamma".to_string()), "{after:?}");
}
