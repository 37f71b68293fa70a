//! `mcp-auth ui`: a dashboard in the browser, served on 127.0.0.1 for as
//! long as the command runs.
//!
//! It is another front end over what the CLI uses: the credentials API for
//! every read and change, `tokens`' revoke, refresh and login for actions,
//! the daemon's socket for its status. Nothing here stores or renews on
//! its own, and no token or secret value is ever read for a page.
//!
//! Who may use it is [`guard`]'s business; what the pages look like,
//! [`pages`]'. Live updates: the page keeps an event stream (`/events`)
//! open, and gets a `change` event when the database changes (another
//! process: SQLite's `data_version`) or this process changed something (a
//! login it ran finished); the page then fetches itself again.

mod guard;
mod pages;

use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited, StreamBody, combinators::BoxBody};
use hyper::body::{Frame as BodyFrame, Incoming};
use hyper::{Method, Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use maud::Markup;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::cli::UiArgs;
use crate::commands::Context;
use crate::commands::tokens::{self, CredentialView};
use crate::error::{Error, Result};
use crate::ipc::{self, DaemonStatus, Op};
use crate::model::{Health, now};
use crate::task::blocking;

use guard::{Guard, Refusal, Session};
use pages::{Filter, Frame};

/// Connections served at once: a browser opens a handful; a local process
/// flooding the port must not exhaust descriptors.
const MAX_CONNECTIONS: usize = 64;

/// How long a connection may take to send its request line and headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest form accepted (a bulk revoke of a few thousand names).
const MAX_FORM_BYTES: usize = 1024 * 1024;

/// How often the event stream looks for changes, and sends a keep-alive
/// comment when there were none for a while.
const POLL: Duration = Duration::from_secs(1);
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Flash messages kept for the pages redirected to after a change.
const MAX_FLASHES: usize = 32;

/// How many audit events the pages show.
const EVENTS_SHOWN: usize = 200;

/// Every response carries these: the page may load only its own script,
/// style and images, may not be framed, sends a referrer only to itself
/// (the start address has the key; `no-referrer` would also make the
/// browser send `Origin: null` with the page's own forms, which the guard
/// refuses), and nothing is cached (pages hold credential metadata).
const SECURITY_HEADERS: [(&str, &str); 7] = [
    (
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
         connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "same-origin"),
    ("cache-control", "no-store"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
];

const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");
const FAVICON: &str = include_str!("assets/favicon.svg");

type Body = BoxBody<Bytes, Infallible>;

/// The outcome of a change, shown on the page the browser is sent back to.
#[derive(Debug, Clone)]
pub struct Flash {
    pub ok: bool,
    pub lines: Vec<String>,
}

/// A login the dashboard started, as its pages say it.
#[derive(Debug, Clone)]
enum LoginState {
    Running,
    Done,
    Failed(String),
}

impl LoginState {
    fn describe(&self) -> String {
        match self {
            LoginState::Running => "in progress: finish it in the browser tab that opened \
                                    (the address is printed where `mcp-auth ui` runs)"
                .into(),
            LoginState::Done => "done".into(),
            LoginState::Failed(e) => format!("failed: {e}"),
        }
    }
}

struct Dashboard {
    ctx: Context,
    guard: Guard,
    flashes: Mutex<VecDeque<(String, Flash)>>,
    next_flash: Mutex<u64>,
    logins: Mutex<BTreeMap<String, LoginState>>,
    /// Bumped when this process changed something: its own writes do not
    /// move the `data_version` other connections see.
    local_changes: watch::Sender<u64>,
}

#[derive(Serialize)]
struct Ready<'a> {
    url: &'a str,
    port: u16,
}

/// `mcp-auth ui`: serves until SIGINT or SIGTERM.
pub async fn run(ctx: Context, args: &UiArgs) -> Result<()> {
    let (listener, port) =
        crate::oauth::loopback::listen_on_loopback(args.port, "the dashboard").await?;
    // Storage is opened now, so that a keyring question (at a terminal) or
    // an unreadable database is met here, not by the first page.
    ctx.credentials()?.ready().await?;
    let dashboard = Arc::new(Dashboard {
        guard: Guard::new(port)?,
        ctx,
        flashes: Mutex::new(VecDeque::new()),
        next_flash: Mutex::new(0),
        logins: Mutex::new(BTreeMap::new()),
        local_changes: watch::Sender::new(0),
    });
    let url = dashboard.guard.start_url();
    let opener = dashboard.open_browser(args, &url, port);
    if args.json {
        dashboard.ctx.out.json(&Ready { url: &url, port })?;
    } else {
        dashboard
            .ctx
            .out
            .line(&format!("mcp-auth dashboard: {url}"))?;
        dashboard.ctx.out.info(
            "The address signs a browser in; keep it to yourself. Ctrl-C stops the dashboard.",
        );
    }
    tracing::info!(port, "dashboard listening on 127.0.0.1");
    let served = serve(listener, dashboard).await;
    if let Some(path) = opener {
        let _ = std::fs::remove_file(path);
    }
    served
}

impl Dashboard {
    /// Opens the browser on a private file that moves on to `url`, unless
    /// told not to; returns the file to remove at the end.
    fn open_browser(&self, args: &UiArgs, url: &str, port: u16) -> Option<std::path::PathBuf> {
        if args.no_browser {
            return None;
        }
        let dir = &self.ctx.paths.runtime_dir;
        let path = dir.join(format!("ui-{port}.html"));
        let written = crate::paths::ensure_private_dir(dir).and_then(|()| {
            crate::paths::write_private_file(&path, pages::opener(url).into_string().as_bytes())
        });
        if let Err(e) = written {
            self.ctx.out.warn(&format!(
                "cannot write the page that opens the dashboard: {e}"
            ));
            return None;
        }
        if let Err(e) =
            crate::oauth::browser::open_own_file(&path, self.ctx.config.browser.as_deref())
        {
            self.ctx
                .out
                .warn(&format!("{e}; open the address below yourself"));
        }
        Some(path)
    }

    fn frame<'a>(&self, session: &'a Session, flash: Option<&'a Flash>) -> Frame<'a> {
        Frame {
            csrf: &session.csrf,
            flash,
            now: now(),
        }
    }

    fn flash(&self, id: Option<&str>) -> Option<Flash> {
        let id = id?;
        let flashes = self.flashes.lock().unwrap_or_else(|p| p.into_inner());
        flashes
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, f)| f.clone())
    }

    fn keep_flash(&self, flash: Flash) -> String {
        let id = {
            let mut n = self.next_flash.lock().unwrap_or_else(|p| p.into_inner());
            *n += 1;
            n.to_string()
        };
        let mut flashes = self.flashes.lock().unwrap_or_else(|p| p.into_inner());
        if flashes.len() >= MAX_FLASHES {
            flashes.pop_front();
        }
        flashes.push_back((id.clone(), flash));
        id
    }

    fn changed_here(&self) {
        self.local_changes.send_modify(|n| *n += 1);
    }

    fn login_states(&self) -> BTreeMap<String, LoginState> {
        self.logins
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

async fn serve(listener: TcpListener, dashboard: Arc<Dashboard>) -> Result<()> {
    let mut signals = crate::signals::Signals::new()?;
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            signal = signals.next() => {
                tracing::info!(signal, "dashboard stopping");
                connections.abort_all();
                return Ok(());
            }
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of descriptors or similar: back off, don't spin.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    tracing::warn!("too many connections to the dashboard; closing one");
                    continue;
                };
                let dashboard = dashboard.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let dashboard = dashboard.clone();
                        async move { Ok::<_, Infallible>(handle(&dashboard, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(hyper_util::rt::TokioTimer::new())
                        .header_read_timeout(HEADER_READ_TIMEOUT)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                    drop(slot);
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// What a request asks for, once its guard has let it through.
async fn handle(d: &Arc<Dashboard>, req: Request<Incoming>) -> Response<Body> {
    let header_of = |name: header::HeaderName| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    if let Err(r) = d.guard.host_ok(header_of(header::HOST).as_deref()) {
        return refused(r);
    }
    let path = req.uri().path().to_string();
    let query: BTreeMap<String, String> = req
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let method = req.method().clone();
    // Assets hold no data: served to anyone who reached the right Host.
    match (&method, path.as_str()) {
        (&Method::GET, "/app.js") => return asset(APP_JS, "text/javascript; charset=utf-8"),
        (&Method::GET, "/app.css") => return asset(APP_CSS, "text/css; charset=utf-8"),
        (&Method::GET, "/favicon.svg") => return asset(FAVICON, "image/svg+xml"),
        (&Method::GET, "/start") => return start(d, query.get("key").map(String::as_str)),
        _ => {}
    }
    let session = match d.guard.session(header_of(header::COOKIE).as_deref()) {
        Ok(s) => s,
        Err(r) => return refused(r),
    };
    let result = if method == Method::GET {
        let flash = d.flash(query.get("m").map(String::as_str));
        let frame = d.frame(&session, flash.as_ref());
        match path.as_str() {
            "/" => overview(d, &frame, &query).await.map(page),
            "/credential" => credential(d, &frame, &query).await.map(page),
            "/secrets" => secrets(d, &frame).await.map(page),
            "/daemon" => Ok(page(pages::daemon(&frame, &daemon_status(d).await))),
            "/prune" => prune_preview(d, &frame, &query).await.map(page),
            "/audit" => audit(d, &frame).await.map(page),
            "/events" => return events(d),
            _ => return not_found(),
        }
    } else if method == Method::POST {
        let origin = header_of(header::ORIGIN);
        let form = match read_form(req).await {
            Ok(f) => f,
            Err(resp) => return resp,
        };
        let csrf = first(&form, "csrf");
        if let Err(r) = d.guard.change_ok(&session, origin.as_deref(), csrf) {
            tracing::warn!(path, refusal = ?r, "a change to the dashboard was refused");
            return refused(r);
        }
        let back = back_to(first(&form, "back"));
        let flash = match path.as_str() {
            "/revoke" => revoke(d, &form).await,
            "/refresh" => refresh(d, &form).await,
            "/login" => login(d, &form).await,
            "/secrets/delete" => delete_secret(d, &form).await,
            "/prune" => prune(d, &form).await,
            _ => return not_found(),
        };
        let id = d.keep_flash(flash);
        let sep = if back.contains('?') { '&' } else { '?' };
        return redirect(&format!("{back}{sep}m={id}"));
    } else {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed.");
    };
    match result {
        Ok(resp) => resp,
        Err(e) => {
            tracing::warn!(error = %e, path, "a dashboard page failed");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                pages::problem(500, &e.to_string()),
            )
        }
    }
}

fn first<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Where to go after a change: a path of this dashboard, never another
/// site (`//host`) or scheme.
fn back_to(back: Option<&str>) -> String {
    match back {
        Some(b) if b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') => b.to_string(),
        _ => "/".to_string(),
    }
}

async fn read_form(
    req: Request<Incoming>,
) -> std::result::Result<Vec<(String, String)>, Response<Body>> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Changes are sent as forms.",
        ));
    }
    let body = Limited::new(req.into_body(), MAX_FORM_BYTES)
        .collect()
        .await
        .map_err(|_| plain(StatusCode::PAYLOAD_TOO_LARGE, "The form is too large."))?
        .to_bytes();
    Ok(url::form_urlencoded::parse(&body).into_owned().collect())
}

/// `/start?key=…`: the key of this run buys a session cookie.
fn start(d: &Dashboard, key: Option<&str>) -> Response<Body> {
    let session = match key.map(|k| d.guard.exchange(k)) {
        Some(Ok(Some(s))) => s,
        Some(Err(e)) => {
            return html(
                StatusCode::INTERNAL_SERVER_ERROR,
                pages::problem(500, &e.to_string()),
            );
        }
        _ => {
            tracing::warn!("a sign-in to the dashboard with a wrong key was refused");
            return refused(Refusal::Session);
        }
    };
    let mut resp = html(StatusCode::OK, pages::started());
    if let Ok(v) = header::HeaderValue::from_str(&d.guard.set_cookie(&session)) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

async fn overview(
    d: &Arc<Dashboard>,
    frame: &Frame<'_>,
    query: &BTreeMap<String, String>,
) -> Result<Markup> {
    let filter = Filter {
        q: query.get("q").cloned().unwrap_or_default(),
        health: query.get("health").and_then(|h| Health::parse(h)),
    };
    let at = frame.now;
    let this = d.clone();
    let (rows, total, filter) = blocking(move || {
        let mut rows = Vec::new();
        let mut total = 0;
        // Every credential is counted; the health filter is `tokens
        // list`'s, the search the page's own.
        tokens::each_listed(&this.ctx, &tokens::Listing::default(), at, |view| {
            total += 1;
            if rows.len() < pages::MAX_ROWS && filter.matches(&view) {
                rows.push(view);
            }
            Ok(())
        })?;
        Ok((rows, total, filter))
    })
    .await?;
    let daemon = daemon_status(d).await;
    let logins: Vec<(String, String)> = d
        .login_states()
        .into_iter()
        .filter(|(_, s)| !matches!(s, LoginState::Done))
        .map(|(n, s)| (n, s.describe()))
        .collect();
    Ok(pages::credentials(
        frame, &rows, total, &filter, &daemon, &logins,
    ))
}

async fn credential(
    d: &Arc<Dashboard>,
    frame: &Frame<'_>,
    query: &BTreeMap<String, String>,
) -> Result<Markup> {
    let Some(name) = query.get("name").cloned() else {
        return Err(Error::Usage("which credential? (name= is missing)".into()));
    };
    let this = d.clone();
    let lookup = name.clone();
    // `tokens show`'s data; a credential that is gone keeps its events.
    let (shown, events) = blocking(
        move || match tokens::shown(&this.ctx, &lookup, EVENTS_SHOWN) {
            Ok(s) => Ok((
                Some(s.credential.clone()).map(|c| (c, s.allowed_origins)),
                s.events,
            )),
            Err(Error::CredentialNotFound(_)) => Ok((
                None,
                this.ctx
                    .credentials()?
                    .events(Some(&lookup), EVENTS_SHOWN)?,
            )),
            Err(e) => Err(e),
        },
    )
    .await?;
    let found = shown.map(|(c, allowed)| {
        let mut view = CredentialView::of(&c, frame.now);
        view.allowed_origins = allowed;
        (view, c)
    });
    let login = d.login_states().get(&name).map(LoginState::describe);
    Ok(pages::credential(
        frame,
        &name,
        found.as_ref().map(|(v, c)| (v, c)),
        &events,
        login.as_deref(),
    ))
}

async fn secrets(d: &Arc<Dashboard>, frame: &Frame<'_>) -> Result<Markup> {
    let this = d.clone();
    let at = frame.now;
    let listed = blocking(move || super::secrets::listed(&this.ctx, at)).await?;
    Ok(pages::secrets(frame, &listed))
}

async fn audit(d: &Dashboard, frame: &Frame<'_>) -> Result<Markup> {
    let creds = d.ctx.credentials()?;
    let events = blocking(move || creds.events(None, EVENTS_SHOWN)).await?;
    Ok(pages::audit(frame, &events, EVENTS_SHOWN))
}

/// The retention a prune page or form names, else the configured one.
fn retention(d: &Dashboard, given: Option<&str>) -> u32 {
    given
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(d.ctx.config.retention_days)
}

async fn prune_preview(
    d: &Arc<Dashboard>,
    frame: &Frame<'_>,
    query: &BTreeMap<String, String>,
) -> Result<Markup> {
    let days = retention(d, query.get("days").map(String::as_str));
    let this = d.clone();
    let (report, names) =
        blocking(move || tokens::prune_preview(&this.ctx, days, pages::PREVIEW_NAMES)).await?;
    Ok(pages::prune(frame, days, &report, &names))
}

/// The daemon's own account, None when it is not running; the error text
/// when it holds its lock and does not answer.
async fn daemon_status(d: &Dashboard) -> std::result::Result<Option<DaemonStatus>, String> {
    match ipc::call(&d.ctx.paths.socket(), Op::Status).await {
        Ok(Some(resp)) => resp
            .into_result()
            .map(|r| r.status.map(|s| *s))
            .map_err(|e| e.to_string()),
        Ok(None) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// The names a change form carries, each once, in order.
fn names(form: &[(String, String)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (k, v) in form {
        if k == "name" && !v.is_empty() && !out.contains(v) {
            out.push(v.clone());
        }
    }
    out
}

fn outcome_flash(outcomes: &[tokens::BulkResult]) -> Flash {
    Flash {
        ok: outcomes.iter().all(|o| o.ok),
        lines: outcomes
            .iter()
            .map(|o| format!("{}: {}", o.name, o.message))
            .collect(),
    }
}

fn failed(message: impl Into<String>) -> Flash {
    Flash {
        ok: false,
        lines: vec![message.into()],
    }
}

async fn revoke(d: &Dashboard, form: &[(String, String)]) -> Flash {
    let names = names(form);
    if names.is_empty() {
        return failed("Select at least one credential to revoke.");
    }
    // `tokens revoke NAME...`: at the provider, then here.
    let targets = match tokens::revoke_targets(&d.ctx, &tokens::Selection::Named(&names)) {
        Ok(t) => t,
        Err(e) => return failed(e.to_string()),
    };
    let outcomes = tokens::revoke_each(&d.ctx, &targets, false).await;
    for o in &outcomes {
        tracing::info!(credential = %o.name, ok = o.ok, "revoked from the dashboard");
    }
    d.changed_here();
    outcome_flash(&outcomes)
}

async fn refresh(d: &Dashboard, form: &[(String, String)]) -> Flash {
    let Some(name) = names(form).into_iter().next() else {
        return failed("Which credential? The form names none.");
    };
    let outcome = tokens::refresh_each(&d.ctx, tokens::RefreshSelection::Named(vec![name])).await;
    d.changed_here();
    match outcome {
        Ok(o) => outcome_flash(&o),
        Err(e) => failed(e.to_string()),
    }
}

/// Starts the same login `mcp-auth login` runs for the credential, in the
/// background: it opens the browser and prints its address where the
/// dashboard runs, and the page shows it in progress until it ends.
async fn login(d: &Arc<Dashboard>, form: &[(String, String)]) -> Flash {
    let Some(name) = names(form).into_iter().next() else {
        return failed("Which credential? The form names none.");
    };
    let c = match d.ctx.credentials().and_then(|creds| creds.get(&name)) {
        Ok(Some(c)) => c,
        Ok(None) => return failed(Error::CredentialNotFound(name).to_string()),
        Err(e) => return failed(e.to_string()),
    };
    {
        let mut logins = d.logins.lock().unwrap_or_else(|p| p.into_inner());
        if matches!(logins.get(&name), Some(LoginState::Running)) {
            return failed(format!("A login for {name} is already in progress."));
        }
        logins.insert(name.clone(), LoginState::Running);
    }
    d.changed_here();
    let shown = name.clone();
    let this = d.clone();
    tokio::spawn(async move {
        let result = tokens::login_again(&this.ctx, &c, c.scopes.clone(), false, false).await;
        let state = match result {
            Ok(()) => LoginState::Done,
            Err(e) => LoginState::Failed(e.to_string()),
        };
        tracing::info!(credential = %name, state = ?state, "login from the dashboard ended");
        this.logins
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name, state);
        this.changed_here();
    });
    Flash {
        ok: true,
        lines: vec![format!(
            "Login for {shown} started: finish it in the browser tab that opened (its address \
             is also printed where `mcp-auth ui` runs)."
        )],
    }
}

async fn delete_secret(d: &Dashboard, form: &[(String, String)]) -> Flash {
    let Some(name) = names(form).into_iter().next() else {
        return failed("Which secret? The form names none.");
    };
    let result = super::secrets::delete_each(&d.ctx, vec![name.clone()], |_| Ok(())).await;
    d.changed_here();
    match result.as_deref() {
        Ok([one]) if one.deleted => Flash {
            ok: true,
            lines: vec![format!("Deleted the secret {name}.")],
        },
        Ok(_) => failed(Error::SecretNotFound(name).to_string()),
        Err(e) => failed(e.to_string()),
    }
}

async fn prune(d: &Arc<Dashboard>, form: &[(String, String)]) -> Flash {
    let days = retention(d, first(form, "days"));
    let this = d.clone();
    let result = blocking(move || {
        let prune = tokens::Prune {
            retention_days: days,
            dry_run: false,
        };
        tokens::prune(&this.ctx, &prune, |_| Ok(()))
    })
    .await;
    d.changed_here();
    match result {
        Ok(r) => Flash {
            ok: true,
            lines: vec![format!(
                "Deleted {} of {} credential(s) dead for more than {days} days; {} audit \
                 event(s) older than {days} days removed.",
                r.deleted, r.examined, r.events_deleted
            )],
        },
        Err(e) => failed(e.to_string()),
    }
}

/// `/events`: a server-sent event stream that says `change` whenever what
/// the pages show may have changed.
fn events(d: &Dashboard) -> Response<Body> {
    let creds = match d.ctx.credentials() {
        Ok(c) => c,
        Err(e) => return plain(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    let mut local = d.local_changes.subscribe();
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(4);
    tokio::spawn(async move {
        let version = |creds: &crate::credentials::Credentials| creds.data_version().ok();
        let mut seen = version(&creds);
        let mut quiet = Duration::ZERO;
        if tx
            .send(Bytes::from_static(b"retry: 2000\n\n"))
            .await
            .is_err()
        {
            return;
        }
        loop {
            let local_change = tokio::select! {
                r = local.changed() => r.is_ok(),
                () = tokio::time::sleep(POLL) => false,
            };
            let now_version = version(&creds);
            let message = if local_change || now_version != seen {
                seen = now_version;
                quiet = Duration::ZERO;
                Bytes::from_static(b"event: change\ndata: {}\n\n")
            } else {
                quiet += POLL;
                if quiet < KEEP_ALIVE {
                    continue;
                }
                quiet = Duration::ZERO;
                Bytes::from_static(b": keep-alive\n\n")
            };
            if tx.send(message).await.is_err() {
                return; // the page went away
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, Infallible>(BodyFrame::data(b)), rx))
    });
    let mut resp = Response::new(BodyExt::boxed(StreamBody::new(stream)));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/event-stream"),
    );
    secure(resp)
}

fn secure(mut resp: Response<Body>) -> Response<Body> {
    for (k, v) in SECURITY_HEADERS {
        resp.headers_mut()
            .insert(k, header::HeaderValue::from_static(v));
    }
    resp
}

fn html(status: StatusCode, markup: Markup) -> Response<Body> {
    let mut resp = Response::new(Full::new(Bytes::from(markup.into_string())).boxed());
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    secure(resp)
}

fn page(markup: Markup) -> Response<Body> {
    html(StatusCode::OK, markup)
}

fn plain(status: StatusCode, text: &str) -> Response<Body> {
    html(status, pages::problem(status.as_u16(), text))
}

fn not_found() -> Response<Body> {
    plain(StatusCode::NOT_FOUND, "Not found.")
}

fn refused(r: Refusal) -> Response<Body> {
    let status = StatusCode::from_u16(r.status()).unwrap_or(StatusCode::FORBIDDEN);
    plain(status, r.message())
}

fn asset(body: &'static str, content_type: &'static str) -> Response<Body> {
    let mut resp = Response::new(Full::new(Bytes::from_static(body.as_bytes())).boxed());
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    secure(resp)
}

fn redirect(location: &str) -> Response<Body> {
    let mut resp = Response::new(Full::new(Bytes::new()).boxed());
    *resp.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(v) = header::HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    secure(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_stays_on_this_dashboard() {
        assert_eq!(back_to(Some("/credential?name=a")), "/credential?name=a");
        for bad in [
            None,
            Some("https://evil.example/"),
            Some("//evil.example/"),
            Some("/\\evil.example"),
            Some("javascript:alert(1)"),
            Some(""),
        ] {
            assert_eq!(back_to(bad), "/", "{bad:?}");
        }
    }

    #[test]
    fn names_are_taken_once_in_order() {
        let form = vec![
            ("csrf".to_string(), "x".to_string()),
            ("name".to_string(), "b".to_string()),
            ("name".to_string(), "a".to_string()),
            ("name".to_string(), "b".to_string()),
            ("name".to_string(), String::new()),
        ];
        assert_eq!(names(&form), vec!["b".to_string(), "a".to_string()]);
    }
}
