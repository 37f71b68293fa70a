//! The refresh-token ledger the fake token endpoints share: which refresh
//! tokens were issued and are still usable, which access tokens were
//! issued, how many refreshes succeeded and how many spent tokens came
//! back, and how the endpoint's OAuth error body reads ([`ErrorBody`]).
//! What a refresh token is worth is decided here once; each fake adds its
//! own success fields. `fake_as` keeps its own error bodies (with a
//! description per refusal) and its own issuing (its tokens carry their
//! expiry and scope, and a spent token's answer can be replayed), and asks
//! the ledger only about refresh tokens.
//!
//! Needs nothing else from `support/`.

use std::collections::{HashMap, HashSet};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// How a ledger names and rotates what it issues, and how its endpoint
/// words a refusal.
#[derive(Clone, Copy, Debug)]
pub struct LedgerOptions {
    /// Access tokens issued by a refresh are `{access_prefix}{n}`.
    pub access_prefix: &'static str,
    /// Refresh tokens issued by a refresh are `{refresh_prefix}{n}`.
    pub refresh_prefix: &'static str,
    pub error_body: ErrorBody,
}

impl Default for LedgerOptions {
    fn default() -> LedgerOptions {
        LedgerOptions {
            access_prefix: "at-",
            refresh_prefix: "rt-",
            error_body: ErrorBody::CodeAsDescription,
        }
    }
}

/// The JSON body of an OAuth error answer (RFC 6749 §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorBody {
    /// `{"error": CODE, "error_description": CODE}`.
    CodeAsDescription,
    /// `{"error": CODE}`.
    CodeOnly,
}

/// What a presented refresh token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presented {
    Usable,
    /// Issued, then spent by a rotation or revoked: counted as a reuse.
    Spent,
    Unknown,
}

/// What a refresh issued.
pub struct Issued {
    pub access_token: String,
    /// The new refresh token, when the refresh rotated.
    pub refresh_token: Option<String>,
}

#[derive(Default)]
pub struct Ledger {
    pub options: LedgerOptions,
    /// refresh token -> still usable?
    refresh: HashMap<String, bool>,
    access: HashSet<String>,
    counter: u64,
    refreshes: usize,
    reused: usize,
}

impl Ledger {
    pub fn new(options: LedgerOptions) -> Ledger {
        Ledger {
            options,
            ..Ledger::default()
        }
    }

    /// The next number for a token's name (shared by logins and refreshes).
    pub fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// A refresh token the endpoint honours from now on.
    pub fn add_refresh(&mut self, rt: &str) {
        self.refresh.insert(rt.to_string(), true);
    }

    /// An access token counted as issued by this server.
    pub fn add_access(&mut self, at: &str) {
        self.access.insert(at.to_string());
    }

    /// Looks a presented refresh token up; a spent one is counted.
    pub fn present(&mut self, rt: &str) -> Presented {
        match self.refresh.get(rt).copied() {
            Some(true) => Presented::Usable,
            Some(false) => {
                self.reused += 1;
                Presented::Spent
            }
            None => Presented::Unknown,
        }
    }

    /// Looks `rt` up as [`Ledger::present`] does: `None` when usable, else
    /// the endpoint's `invalid_grant` answer to a spent or unknown one.
    pub fn refusal(&mut self, rt: &str) -> Option<Response> {
        match self.present(rt) {
            Presented::Usable => None,
            Presented::Spent | Presented::Unknown => {
                Some(self.error(StatusCode::BAD_REQUEST, "invalid_grant"))
            }
        }
    }

    /// An OAuth error answer with `code`, its body as the options say.
    pub fn error(&self, status: StatusCode, code: &str) -> Response {
        let body = match self.options.error_body {
            ErrorBody::CodeAsDescription => json!({ "error": code, "error_description": code }),
            ErrorBody::CodeOnly => json!({ "error": code }),
        };
        (status, axum::Json(body)).into_response()
    }

    /// Answers a refresh with `rt` (already found usable): a new access
    /// token and, when `rotate`, a new refresh token with `rt` spent.
    pub fn refresh(&mut self, rt: &str, rotate: bool) -> Issued {
        let n = self.next();
        self.refreshes += 1;
        let access_token = format!("{}{n}", self.options.access_prefix);
        self.access.insert(access_token.clone());
        let refresh_token = rotate.then(|| {
            self.refresh.insert(rt.to_string(), false);
            let new = format!("{}{n}", self.options.refresh_prefix);
            self.refresh.insert(new.clone(), true);
            new
        });
        Issued {
            access_token,
            refresh_token,
        }
    }

    /// A rotation that issues its own tokens: `rt` is spent.
    pub fn spend(&mut self, rt: &str) {
        self.revoke(rt);
    }

    /// RFC 7009 as the server sees it: the refresh token is dead.
    pub fn revoke(&mut self, rt: &str) {
        if let Some(usable) = self.refresh.get_mut(rt) {
            *usable = false;
        }
    }

    /// Issued, not spent, not revoked.
    pub fn usable(&self, rt: &str) -> bool {
        self.refresh.get(rt).copied().unwrap_or(false)
    }

    pub fn issued(&self, at: &str) -> bool {
        self.access.contains(at)
    }

    pub fn refreshes(&self) -> usize {
        self.refreshes
    }

    /// Spent or revoked refresh tokens presented.
    pub fn reused(&self) -> usize {
        self.reused
    }
}
