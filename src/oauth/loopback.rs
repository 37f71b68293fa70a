//! The one-shot redirect listener of a native-app login (RFC 8252 §7.3).
//!
//! It binds 127.0.0.1 only (and ::1 on the same port when it can), on an
//! ephemeral port unless one is configured. It ignores requests whose `Host`
//! is not a loopback name for its own port (DNS rebinding), paths other than
//! its callback path, and callbacks without this login's `state`: any local
//! process or web page can reach the port, so none of them may end or
//! cancel the login (they get a 400 and a log line). The first callback
//! with our `state` ends the wait, with the code when `iss` (where
//! expected) matches too, with the server's error otherwise. Reflected
//! values in the pages are HTML-escaped.
//!
//! Connections are bounded in number and in how long their headers may
//! take, and all of them end with the login.

use std::convert::Infallible;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::error::{Error, Result};
use crate::model::Secret;
use crate::text::printable;

pub const CALLBACK_PATH: &str = "/callback";

/// Requests larger than this (URL and headers) are refused by hyper.
const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Connections served at once; more are closed as they arrive. A browser
/// opens a handful; a local process flooding the port must not exhaust
/// descriptors or memory while the user is at the consent page.
const MAX_CONNECTIONS: usize = 32;

/// How long a connection may take to send its request line and headers
/// (slowloris).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Loopback {
    listeners: Vec<TcpListener>,
    port: u16,
    path: String,
    /// The host the redirect URI names: `127.0.0.1`, or `localhost` for
    /// providers that only accept that name (it reaches the same listeners).
    host: &'static str,
}

/// The callback path of a login at the authorization server `issuer`:
/// `/callback/` and the first 12 hex digits of SHA-256(issuer). A redirect
/// URI that names its issuer keeps an answer meant for one authorization
/// server from completing another's login, even where the server sends no
/// `iss` (RFC 9700 §4.4.2, "distinct redirect URIs" defence against mix-up).
pub fn callback_path_for(issuer: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, issuer.as_bytes());
    let hex: String = digest.as_ref()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{CALLBACK_PATH}/{hex}")
}

/// Listens on 127.0.0.1:`port` (a free one when None) for `purpose`, and
/// says which port it got; a port in use is named as the cause, with the
/// `--port` flag that chose it.
pub async fn listen_on_loopback(port: Option<u16>, purpose: &str) -> Result<(TcpListener, u16)> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port.unwrap_or(0))))
        .await
        .map_err(|e| {
            let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
                " (the port is in use; pick another with --port or leave it out)"
            } else {
                ""
            };
            Error::io(format!("cannot listen on 127.0.0.1 for {purpose}{hint}"), e)
        })?;
    let port = listener
        .local_addr()
        .map_err(|e| Error::io("cannot read the listener's port", e))?
        .port();
    Ok((listener, port))
}

/// What a good callback carries.
#[derive(Debug)]
pub struct Callback {
    pub code: Secret,
    pub iss: Option<String>,
}

/// What the callback is checked against.
#[derive(Debug, Clone)]
pub struct Expect {
    pub state: String,
    /// The issuer to compare `iss` with (RFC 9207).
    pub issuer: Option<String>,
    /// True when the server advertises
    /// `authorization_response_iss_parameter_supported`: `iss` must be there.
    pub iss_required: bool,
}

impl Loopback {
    /// Listens for `/callback`, the path provider templates document.
    pub async fn bind(port: Option<u16>) -> Result<Loopback> {
        Loopback::bind_at(port, CALLBACK_PATH).await
    }

    /// Listens for `path` (see [`callback_path_for`]).
    pub async fn bind_at(port: Option<u16>, path: &str) -> Result<Loopback> {
        let (v4, port) = listen_on_loopback(port, "the login redirect").await?;
        let mut listeners = vec![v4];
        // A browser that resolves "localhost" to ::1 still finds us; failure
        // to bind ::1 (no IPv6, port taken there) is not an error.
        if let Ok(v6) = TcpListener::bind(SocketAddr::from((Ipv6Addr::LOCALHOST, port))).await {
            listeners.push(v6);
        }
        Ok(Loopback {
            listeners,
            port,
            path: path.to_string(),
            host: "127.0.0.1",
        })
    }

    /// Names `localhost` instead of `127.0.0.1` in the redirect URI, for a
    /// provider that accepts http only with that name. The listeners stay
    /// on 127.0.0.1 and ::1, where a browser resolving it arrives.
    pub fn naming(mut self, host: &'static str) -> Loopback {
        self.host = host;
        self
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The redirect URI to register and send: the 127.0.0.1 literal, as
    /// RFC 8252 §7.3 recommends over "localhost", unless [`Loopback::naming`]
    /// chose otherwise.
    pub fn redirect_uri(&self) -> String {
        format!("http://{}:{}{}", self.host, self.port, self.path)
    }

    /// Serves until one callback arrives or `timeout` passes.
    pub async fn wait(self, expect: Expect, timeout: Duration) -> Result<Callback> {
        let (tx, mut rx) = mpsc::channel::<Result<Callback>>(1);
        let state = Arc::new(Handler {
            expect,
            port: self.port,
            path: self.path,
            tx,
            done: Mutex::new(false),
        });
        let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
        // Every task, acceptors and connections, lives in this set, so that
        // dropping it at the end of the login closes them all.
        let tasks = Arc::new(Mutex::new(tokio::task::JoinSet::new()));
        for listener in self.listeners {
            let (state, slots, set) = (state.clone(), slots.clone(), tasks.clone());
            lock(&tasks).spawn(async move {
                loop {
                    let stream = match listener.accept().await {
                        Ok((stream, _)) => stream,
                        Err(_) => {
                            // Out of descriptors or similar: back off, don't spin.
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            continue;
                        }
                    };
                    let Ok(slot) = slots.clone().try_acquire_owned() else {
                        tracing::warn!("too many connections to the login listener; closing one");
                        continue;
                    };
                    let state = state.clone();
                    lock(&set).spawn(async move {
                        serve(stream, state).await;
                        drop(slot);
                    });
                }
            });
        }
        let outcome = tokio::time::timeout(timeout, rx.recv()).await;
        // Give the browser a moment to receive the page, then end every
        // connection: none outlives the login.
        tokio::time::sleep(Duration::from_millis(50)).await;
        lock(&tasks).abort_all();
        match outcome {
            Ok(Some(result)) => result,
            Ok(None) => Err(Error::Other("the redirect listener stopped".into())),
            Err(_) => Err(Error::Timeout(format!(
                "no answer from the browser within {}; run the login again",
                humantime::format_duration(timeout)
            ))),
        }
    }
}

/// Answers the requests of one connection (one, as keep-alive is off).
async fn serve<I>(io: I, state: Arc<Handler>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let state = state.clone();
        async move { Ok::<_, Infallible>(state.handle(req)) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_HEADER_BYTES.max(8192))
        .keep_alive(false)
        // A client that shuts its sending side after the request (scripts
        // do; so does the fuzz target's pipe) still gets its page; a
        // request cut short by the shutdown is still dropped at once.
        .half_close(true)
        .serve_connection(TokioIo::new(io), service)
        .await;
}

/// Serves one connection on any byte stream exactly as the listener serves
/// a browser's (hyper's request parsing, then the `Host`, path and query
/// checks), for a login expecting `expect` on `port`; returns what the
/// callback yielded, if the connection carried one. Public so the fuzz
/// target can drive the whole listener with raw bytes over a pipe.
pub async fn serve_one<I>(io: I, expect: Expect, port: u16) -> Option<Result<Callback>>
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (tx, mut rx) = mpsc::channel::<Result<Callback>>(1);
    let state = Arc::new(Handler {
        expect,
        port,
        path: CALLBACK_PATH.to_string(),
        tx,
        done: Mutex::new(false),
    });
    serve(io, state).await;
    rx.try_recv().ok()
}

struct Handler {
    expect: Expect,
    port: u16,
    path: String,
    tx: mpsc::Sender<Result<Callback>>,
    /// Set once a callback has been answered: later requests get a 410.
    done: Mutex<bool>,
}

impl Handler {
    fn handle(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        if !self.host_ok(&req) {
            return page(
                StatusCode::BAD_REQUEST,
                "Bad request",
                "Unexpected Host header.",
            );
        }
        if req.uri().path() != self.path {
            return page(StatusCode::NOT_FOUND, "Not found", "");
        }
        let query = req.uri().query().unwrap_or("");
        if !carries_state(query, &self.expect.state) {
            // Not an answer to this login: a stale tab, another login's
            // redirect, or someone trying to cancel ours. The login waits on.
            tracing::warn!(
                "a request to the login listener without this login's state was ignored"
            );
            return page(
                StatusCode::BAD_REQUEST,
                "Not this login",
                "This address does not belong to the login in progress. If you started a new \
                 login, use the browser tab it opened.",
            );
        }
        {
            let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
            if *done {
                return page(
                    StatusCode::GONE,
                    "Already answered",
                    "This login has already finished. You can close this tab.",
                );
            }
            *done = true;
        }
        let result = check(query, &self.expect);
        let response = match &result {
            Ok(_) => page(
                StatusCode::OK,
                "Logged in",
                "mcp-auth has your login. You can close this tab and return to the terminal.",
            ),
            Err(e) => page(
                StatusCode::BAD_REQUEST,
                "Login failed",
                &format!("{e}. Return to the terminal for details."),
            ),
        };
        let _ = self.tx.try_send(result);
        response
    }

    fn host_ok(&self, req: &Request<Incoming>) -> bool {
        req.headers()
            .get(hyper::header::HOST)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|host| host_allowed(host, self.port))
    }
}

/// Is `host` (a request's `Host` header) a loopback name for the
/// listener's own `port`? Anything else (another port, a DNS name that
/// merely resolves to 127.0.0.1) is a DNS-rebinding attempt. Pure, so the
/// fuzz target can drive it directly.
pub fn host_allowed(host: &str, port: u16) -> bool {
    [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ]
    .iter()
    .any(|ok| host.eq_ignore_ascii_case(ok))
}

/// True when `query` has exactly one `state` and it is `state`.
fn carries_state(query: &str, state: &str) -> bool {
    let mut found = url::form_urlencoded::parse(query.as_bytes()).filter(|(k, _)| k == "state");
    matches!(
        (found.next(), found.next()),
        (Some((_, v)), None) if constant_time_eq(v.as_bytes(), state.as_bytes())
    )
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Checks a callback query against what the login expects. Also used by the
/// paste-back flow, which reads the same query from a pasted URL.
pub fn check(query: &str, expect: &Expect) -> Result<Callback> {
    let mut code = None;
    let mut state = None;
    let mut iss = None;
    let mut error = None;
    let mut description = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot = match k.as_ref() {
            "code" => &mut code,
            "state" => &mut state,
            "iss" => &mut iss,
            "error" => &mut error,
            "error_description" => &mut description,
            _ => continue,
        };
        if slot.is_some() {
            return Err(Error::protocol(
                "the login callback",
                format!("parameter `{k}` appears twice"),
            ));
        }
        *slot = Some(v.into_owned());
    }
    // The state comes first: an answer that does not carry ours is not an
    // answer to this login, whatever else it says.
    match state {
        Some(s) if constant_time_eq(s.as_bytes(), expect.state.as_bytes()) => {}
        Some(_) => {
            return Err(Error::protocol(
                "the login callback",
                "its state does not match this login (a stale tab or a forged request); run the login again",
            ));
        }
        None => {
            return Err(Error::protocol(
                "the login callback",
                "it carries no state parameter; refusing it",
            ));
        }
    }
    check_iss(iss.as_deref(), expect)?;
    if let Some(error) = error {
        let context = if error == "access_denied" {
            "the login was declined"
        } else {
            "the authorization server refused the login"
        };
        return Err(Error::OAuth {
            context: context.into(),
            error: printable(&error, 100),
            description: description.map(|d| printable(&d, 300)),
            retry_after: None,
        });
    }
    match code {
        Some(c) if !c.is_empty() => Ok(Callback {
            code: Secret::new(c),
            iss,
        }),
        _ => Err(Error::protocol(
            "the login callback",
            "it carries neither a code nor an error",
        )),
    }
}

/// RFC 9207: when `iss` is present it must be the issuer; when the server
/// advertised it, it must be present.
fn check_iss(iss: Option<&str>, expect: &Expect) -> Result<()> {
    match (iss, &expect.issuer) {
        (Some(got), Some(want)) if got != want => Err(Error::protocol(
            "the login callback",
            format!(
                "it comes from issuer {:?}, not {want:?} (possible mix-up attack); refusing it",
                printable(got, 200)
            ),
        )),
        (None, Some(_)) if expect.iss_required => Err(Error::protocol(
            "the login callback",
            "the server promises an `iss` parameter but the callback has none; refusing it",
        )),
        _ => Ok(()),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(status: StatusCode, title: &str, message: &str) -> Response<Full<Bytes>> {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>mcp-auth: {t}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em}}</style>\
         </head><body><h1>{t}</h1><p>{m}</p></body></html>",
        t = escape(title),
        m = escape(message)
    );
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        hyper::header::CACHE_CONTROL,
        hyper::header::HeaderValue::from_static("no-store"),
    );
    headers.insert(
        "referrer-policy",
        hyper::header::HeaderValue::from_static("no-referrer"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect() -> Expect {
        Expect {
            state: "s1".into(),
            issuer: Some("https://as.example".into()),
            iss_required: false,
        }
    }

    #[test]
    fn good_callback_yields_the_code() {
        let cb = check("code=abc&state=s1", &expect()).unwrap();
        assert_eq!(cb.code.expose(), "abc");
    }

    #[test]
    fn wrong_or_missing_state_is_refused_before_anything_else() {
        let e = check("code=abc&state=evil", &expect()).unwrap_err();
        assert!(e.to_string().contains("state does not match"), "{e}");
        let e = check("error=access_denied", &expect()).unwrap_err();
        assert!(e.to_string().contains("no state"), "{e}");
    }

    #[test]
    fn errors_are_reported_with_their_description() {
        let e = check(
            "error=access_denied&error_description=User+said+no&state=s1",
            &expect(),
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("declined") && text.contains("User said no"),
            "{text}"
        );
        assert_eq!(e.exit_code(), crate::error::exit::AUTH_FAILED);
    }

    #[test]
    fn iss_mismatch_and_missing_required_iss_are_refused() {
        let e = check("code=a&state=s1&iss=https://evil", &expect()).unwrap_err();
        assert!(e.to_string().contains("mix-up"), "{e}");
        assert!(check("code=a&state=s1&iss=https://as.example", &expect()).is_ok());
        let mut strict = expect();
        strict.iss_required = true;
        assert!(check("code=a&state=s1", &strict).is_err());
    }

    #[test]
    fn duplicated_parameters_are_refused() {
        assert!(check("code=a&code=b&state=s1", &expect()).is_err());
        assert!(check("code=a&state=s1&state=s1", &expect()).is_err());
    }

    #[test]
    fn pages_escape_reflected_text() {
        let r = page(StatusCode::OK, "<script>", "\"x\" & 'y'");
        let body = format!("{:?}", r.body());
        assert!(!body.contains("<script>"));
    }

    #[tokio::test]
    async fn listener_answers_one_callback_and_checks_host() {
        let lb = Loopback::bind(None).await.unwrap();
        let port = lb.port();
        let uri = lb.redirect_uri();
        assert_eq!(uri, format!("http://127.0.0.1:{port}/callback"));
        let wait = tokio::spawn(lb.wait(expect(), Duration::from_secs(10)));
        let http = crate::oauth::http::client().unwrap();
        // Wrong Host: ignored, the wait goes on.
        let r = http
            .get(format!("{uri}?code=x&state=s1"))
            .header("host", "evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let r = http
            .get(format!("http://127.0.0.1:{port}/favicon.ico"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        let r = http
            .get(format!("{uri}?code=good&state=s1"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let cb = wait.await.unwrap().unwrap();
        assert_eq!(cb.code.expose(), "good");
    }

    #[tokio::test]
    async fn one_connection_is_served_over_any_stream() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let serve = |request: &'static [u8]| async move {
            let (mut client, server) = tokio::io::duplex(64 * 1024);
            let serving = tokio::spawn(serve_one(server, expect(), 8765));
            client.write_all(request).await.unwrap();
            client.shutdown().await.unwrap();
            let mut response = Vec::new();
            client.read_to_end(&mut response).await.unwrap();
            (serving.await.unwrap(), String::from_utf8(response).unwrap())
        };
        let (result, response) =
            serve(b"GET /callback?code=good&state=s1 HTTP/1.1\r\nHost: localhost:8765\r\n\r\n")
                .await;
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert_eq!(result.unwrap().unwrap().code.expose(), "good");
        let (result, response) =
            serve(b"GET /callback?code=good&state=s1 HTTP/1.1\r\nHost: localhost:8766\r\n\r\n")
                .await;
        assert!(response.starts_with("HTTP/1.1 400"), "{response}");
        assert!(result.is_none());
        // A request cut short is dropped without an answer and no wait.
        let (result, _) = serve(b"GET /callback?code=good&state=s1 HTTP/1.1\r\nHo").await;
        assert!(result.is_none());
    }

    #[tokio::test]
    async fn a_callback_without_our_state_is_refused_and_the_login_waits_on() {
        let lb = Loopback::bind(None).await.unwrap();
        let uri = lb.redirect_uri();
        let wait = tokio::spawn(lb.wait(expect(), Duration::from_secs(10)));
        let http = crate::oauth::http::client().unwrap();
        for query in [
            "code=x&state=evil",
            "error=access_denied",
            "code=x&state=s1&state=evil",
            "error=access_denied&state=",
        ] {
            let r = http.get(format!("{uri}?{query}")).send().await.unwrap();
            assert_eq!(r.status(), 400, "{query}");
            assert!(!wait.is_finished(), "{query} ended the login");
        }
        let r = http
            .get(format!("{uri}?code=good&state=s1"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(wait.await.unwrap().unwrap().code.expose(), "good");
    }

    #[tokio::test]
    async fn an_issuer_path_listener_answers_only_on_its_path() {
        let path = callback_path_for("https://as.example");
        assert_eq!(path, callback_path_for("https://as.example"));
        assert_ne!(path, callback_path_for("https://other.example"));
        assert!(path.starts_with("/callback/") && path.len() == "/callback/".len() + 12);
        let lb = Loopback::bind_at(None, &path).await.unwrap();
        let port = lb.port();
        assert_eq!(lb.redirect_uri(), format!("http://127.0.0.1:{port}{path}"));
        let wait = tokio::spawn(lb.wait(expect(), Duration::from_secs(10)));
        let http = crate::oauth::http::client().unwrap();
        // The answer meant for another issuer's login (same state even)
        // does not complete this one.
        let other = callback_path_for("https://other.example");
        let r = http
            .get(format!("http://127.0.0.1:{port}{other}?code=x&state=s1"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        let r = http
            .get(format!("http://127.0.0.1:{port}/callback?code=x&state=s1"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        assert!(!wait.is_finished());
        let r = http
            .get(format!("http://127.0.0.1:{port}{path}?code=good&state=s1"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(wait.await.unwrap().unwrap().code.expose(), "good");
    }

    /// Reads until the peer closes; true when it did within `within`.
    async fn closed_within(stream: &mut tokio::net::TcpStream, within: Duration) -> bool {
        use tokio::io::AsyncReadExt;
        let mut buf = [0u8; 4096];
        tokio::time::timeout(within, async {
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        })
        .await
        .is_ok()
    }

    #[tokio::test]
    async fn connections_are_capped_and_all_end_with_the_login() {
        use tokio::io::AsyncWriteExt;
        let lb = Loopback::bind(None).await.unwrap();
        let port = lb.port();
        let wait = tokio::spawn(lb.wait(expect(), Duration::from_secs(30)));
        // Half-sent requests hold their slots.
        let mut held = Vec::new();
        for _ in 0..MAX_CONNECTIONS {
            let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap();
            s.write_all(b"GET /callback HTTP/1.1\r\nHo").await.unwrap();
            held.push(s);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        // One more is closed at once.
        let mut extra = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        assert!(closed_within(&mut extra, Duration::from_secs(2)).await);
        // The held ones are still open while the login runs...
        assert!(!closed_within(&mut held[0], Duration::from_millis(100)).await);
        // ...and every one is closed once the login has ended.
        let _ = held.pop();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        s.write_all(
            format!("GET /callback?code=good&state=s1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
        assert_eq!(wait.await.unwrap().unwrap().code.expose(), "good");
        for s in &mut held {
            assert!(closed_within(s, Duration::from_secs(2)).await);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_that_never_finishes_its_headers_is_closed() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let serving = tokio::spawn(serve_one(server, expect(), 8765));
        client
            .write_all(b"GET /callback?code=good&state=s1 HTTP/1.1\r\nHo")
            .await
            .unwrap();
        let started = tokio::time::Instant::now();
        let mut response = Vec::new();
        let _ = client.read_to_end(&mut response).await;
        assert!(serving.await.unwrap().is_none());
        let waited = started.elapsed();
        assert!(
            waited >= HEADER_READ_TIMEOUT && waited < HEADER_READ_TIMEOUT * 2,
            "{waited:?}"
        );
    }

    #[tokio::test]
    async fn listener_times_out_clearly() {
        let lb = Loopback::bind(None).await.unwrap();
        let e = lb
            .wait(expect(), Duration::from_millis(50))
            .await
            .unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::TIMEOUT);
    }
}
