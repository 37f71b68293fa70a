//! A minimal rotating token endpoint for the property tests: refresh tokens
//! are single-use when rotation is on, a spent or revoked one is refused
//! with `invalid_grant` and counted, and each answer can be scripted
//! (success with or without a new refresh token, a transient 503, a
//! definite `invalid_grant`) and delayed. Runs on its own thread and
//! runtime on 127.0.0.1:0, so the test's runtime can be anything.
//!
//! A crate that uses it declares `served` and `token_ledger` beside it (see
//! `support/README.md`).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;

use super::token_ledger::Ledger;

/// How the next refresh is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// New access token (expiring in `ttl` seconds, or no `expires_in`);
    /// with `rotate`, a new refresh token and the old one spent; with
    /// `refresh_ttl`, a `refresh_token_expires_in`.
    Ok {
        rotate: bool,
        ttl: Option<u32>,
        refresh_ttl: Option<u32>,
    },
    /// HTTP 503 with an HTML body: a transient failure.
    Unavailable,
    /// `invalid_grant`: the grant is gone for good.
    InvalidGrant,
}

#[derive(Default)]
struct Inner {
    /// Answers for the next refreshes, in order; `default` when empty.
    script: VecDeque<Answer>,
    default: Option<Answer>,
    /// Delays for the next requests, in order; none when empty.
    delays: VecDeque<Duration>,
    /// Refresh tokens and access tokens issued (`at-N`, `rt-N` by a
    /// refresh), and what came back spent.
    ledger: Ledger,
    pub requests: usize,
}

pub struct FakeToken {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    _served: super::served::Served,
}

impl FakeToken {
    pub fn start() -> FakeToken {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://127.0.0.1:{}/token",
            listener.local_addr().unwrap().port()
        );
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .route("/token", post(token))
            .with_state(inner.clone());
        FakeToken {
            url,
            inner,
            _served: super::served::Served::start(listener, app),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap()
    }

    /// Tokens for a new login: an access token and, if asked, a usable
    /// refresh token.
    pub fn mint(&self, with_refresh: bool) -> (String, Option<String>) {
        let mut s = self.lock();
        let n = s.ledger.next();
        let at = format!("at-login-{n}");
        s.ledger.add_access(&at);
        let rt = with_refresh.then(|| format!("rt-login-{n}"));
        if let Some(rt) = &rt {
            s.ledger.add_refresh(rt);
        }
        (at, rt)
    }

    /// Answers the next refresh with `a` (then falls back to the default).
    pub fn script(&self, a: Answer) {
        self.lock().script.push_back(a);
    }

    /// Drops scripted answers no request used.
    pub fn clear_script(&self) {
        self.lock().script.clear();
    }

    pub fn set_default(&self, a: Answer) {
        self.lock().default = Some(a);
    }

    pub fn delays(&self, d: impl IntoIterator<Item = Duration>) {
        self.lock().delays.extend(d);
    }

    /// RFC 7009 as the server sees it: the refresh token is dead.
    pub fn revoke(&self, rt: &str) {
        self.lock().ledger.revoke(rt);
    }

    /// Is this refresh token usable (issued, not spent, not revoked)?
    pub fn refresh_usable(&self, rt: &str) -> bool {
        self.lock().ledger.usable(rt)
    }

    /// Was this access token issued by this server?
    pub fn issued(&self, at: &str) -> bool {
        self.lock().ledger.issued(at)
    }

    pub fn refreshes(&self) -> usize {
        self.lock().ledger.refreshes()
    }

    /// Spent or revoked refresh tokens presented: must stay 0.
    pub fn reused(&self) -> usize {
        self.lock().ledger.reused()
    }

    pub fn requests(&self) -> usize {
        self.lock().requests
    }
}

async fn token(
    State(inner): State<Arc<Mutex<Inner>>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let delay = {
        let mut s = inner.lock().unwrap();
        s.requests += 1;
        s.delays.pop_front()
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let mut s = inner.lock().unwrap();
    if form.get("grant_type").map(String::as_str) != Some("refresh_token") {
        return s
            .ledger
            .error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    let Some(rt) = form.get("refresh_token").cloned() else {
        return s.ledger.error(StatusCode::BAD_REQUEST, "invalid_request");
    };
    let answer = s.script.pop_front().or(s.default).unwrap_or(Answer::Ok {
        rotate: true,
        ttl: Some(3600),
        refresh_ttl: None,
    });
    // Spent: the client used a token twice, the bug this server exists to
    // catch (the ledger counts it).
    if let Some(refused) = s.ledger.refusal(&rt) {
        return refused;
    }
    match answer {
        Answer::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "<html><body>try later</body></html>",
        )
            .into_response(),
        Answer::InvalidGrant => s.ledger.error(StatusCode::BAD_REQUEST, "invalid_grant"),
        Answer::Ok {
            rotate,
            ttl,
            refresh_ttl,
        } => {
            let issued = s.ledger.refresh(&rt, rotate);
            let mut body = json!({ "access_token": issued.access_token, "token_type": "Bearer" });
            if let Some(ttl) = ttl {
                body["expires_in"] = json!(ttl);
            }
            if let Some(new) = issued.refresh_token {
                body["refresh_token"] = json!(new);
            }
            if let Some(r) = refresh_ttl {
                body["refresh_token_expires_in"] = json!(r);
            }
            axum::Json(body).into_response()
        }
    }
}
