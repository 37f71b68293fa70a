//! The whole loopback redirect listener on raw bytes: hyper's HTTP/1
//! request parsing, then the listener's `Host`, path, once-only and query
//! checks and the page it answers with (`loopback::serve_one` over an
//! in-memory pipe, as a browser's connection would be served).
//!
//! Input: the bytes a client sends on the connection.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mcp_auth::oauth::loopback::{Expect, serve_one};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PORT: u16 = 8765;
const STATE: &str = "st4te";

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    })
}

/// `%XX` escapes decoded, everything else kept.
fn percent_decode(data: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'%'
            && let (Some(h), Some(l)) = (
                data.get(i + 1).copied().and_then(hex),
                data.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(data[i]);
        i += 1;
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let (result, response) = runtime().block_on(async {
        let (mut client, server) = tokio::io::duplex(1 << 20);
        let expect = Expect {
            state: STATE.into(),
            issuer: Some("https://as.example".into()),
            iss_required: false,
        };
        let serving = tokio::spawn(serve_one(server, expect, PORT));
        // A client that sends its bytes and hangs up: the listener must
        // answer or close, never wait for more.
        let _ = client.write_all(data).await;
        let _ = client.shutdown().await;
        let mut response = Vec::new();
        let _ = client.read_to_end(&mut response).await;
        (serving.await.expect("the listener never panics"), response)
    });
    let text = String::from_utf8_lossy(&response);
    if let Some(Ok(cb)) = &result {
        // A code only from a request that reached /callback with our
        // state, through a loopback Host for our port.
        assert!(!cb.code.expose().is_empty());
        // (HTTP/1.0 requests get HTTP/1.0 answers.)
        assert!(
            text.starts_with("HTTP/1.1 200") || text.starts_with("HTTP/1.0 200"),
            "{text}"
        );
        let lower = String::from_utf8_lossy(data).to_ascii_lowercase();
        assert!(
            String::from_utf8_lossy(&percent_decode(data)).contains(STATE),
            "accepted without our state"
        );
        assert!(
            lower.contains(&format!(":{PORT}")),
            "accepted through a Host for another port"
        );
    }
    if result.is_some() {
        assert!(text.starts_with("HTTP/1."), "a callback without an answer");
        // Only a request with our state may end the login, even with an
        // error: anything else is ignored, so no local process can cancel
        // a login in progress.
        assert!(
            String::from_utf8_lossy(&percent_decode(data)).contains(STATE),
            "a request without our state ended the login"
        );
    }
    // Reflected text is escaped: the page's only markup is its own.
    if let Some(start) = text.find("<p>") {
        let body = &text[start + 3..];
        let end = body.rfind("</p>").expect("the page closes its paragraph");
        assert!(
            !body[..end].contains(['<', '>']),
            "unescaped markup: {text}"
        );
    }
});
