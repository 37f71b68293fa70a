//! Who may use the dashboard, and how a request proves it.
//!
//! Any local process, and any web page the user visits, can reach a port on
//! 127.0.0.1, so nothing here trusts the connection:
//!
//! - The address printed (and opened) carries a key made for this run
//!   (32 random bytes). `/start?key=…` exchanges it for a session cookie:
//!   `HttpOnly` (the page's own script cannot read it), `SameSite=Strict`
//!   (other sites' pages do not send it), named after the port (two
//!   dashboards do not overwrite each other's), and worthless once the
//!   command ends (sessions live in this process only).
//! - Every request must name this listener in `Host` (`127.0.0.1:PORT`):
//!   a DNS name that a page got to resolve to 127.0.0.1 (DNS rebinding)
//!   is refused before anything else.
//! - A change (every POST) also needs the session's CSRF token (only pages
//!   served to the session have it) and an `Origin` of this listener.
//!
//! Comparisons of keys and tokens take the same time whatever they hold.

use std::collections::VecDeque;
use std::sync::Mutex;

use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};

use crate::error::{Error, Result};

/// Sessions kept at once; the oldest goes first. One browser makes one;
/// more only if the key is opened again (another browser, a private
/// window).
const MAX_SESSIONS: usize = 16;

/// The key of this run and the sessions it was exchanged for.
pub struct Guard {
    port: u16,
    key: String,
    sessions: Mutex<VecDeque<Session>>,
}

/// One browser's session: its cookie value and the CSRF token its pages
/// carry.
#[derive(Clone)]
pub struct Session {
    id: String,
    pub csrf: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Session(..)")
    }
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard").field("port", &self.port).finish()
    }
}

/// Why a request was refused; the page says it without detail an attacker
/// could use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `Host` is not this listener (DNS rebinding, another port).
    Host,
    /// No valid session cookie.
    Session,
    /// A change without a same-origin `Origin`.
    Origin,
    /// A change without the session's CSRF token.
    Csrf,
}

impl Refusal {
    pub fn status(self) -> u16 {
        match self {
            Refusal::Host => 400,
            Refusal::Session => 401,
            Refusal::Origin | Refusal::Csrf => 403,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Refusal::Host => "Unexpected Host header.",
            Refusal::Session => {
                "Open the address that `mcp-auth ui` printed: it signs this browser in."
            }
            Refusal::Origin => "This change did not come from the dashboard's own page.",
            Refusal::Csrf => "This change lacks the dashboard's token; reload the page and retry.",
        }
    }
}

impl Guard {
    pub fn new(port: u16) -> Result<Guard> {
        Ok(Guard {
            port,
            key: random_token()?,
            sessions: Mutex::new(VecDeque::new()),
        })
    }

    /// The address that signs a browser in.
    pub fn start_url(&self) -> String {
        format!("{}/start?key={}", self.origin(), self.key)
    }

    /// This listener's origin, the only one changes may come from.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The cookie's name: per port, since cookies are not.
    pub fn cookie_name(&self) -> String {
        format!("mcp_auth_ui_{}", self.port)
    }

    /// `Host` must name this listener exactly. `localhost` is not taken:
    /// the cookie is set for 127.0.0.1, so a page under another name would
    /// not be signed in anyway.
    pub fn host_ok(&self, host: Option<&str>) -> Result<(), Refusal> {
        match host {
            Some(h) if h.eq_ignore_ascii_case(&format!("127.0.0.1:{}", self.port)) => Ok(()),
            _ => Err(Refusal::Host),
        }
    }

    /// Exchanges the key for a new session, or None when `key` is not this
    /// run's.
    pub fn exchange(&self, key: &str) -> Result<Option<Session>> {
        if !same(key, &self.key) {
            return Ok(None);
        }
        let session = Session {
            id: random_token()?,
            csrf: random_token()?,
        };
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        if sessions.len() >= MAX_SESSIONS {
            sessions.pop_front();
        }
        sessions.push_back(session.clone());
        Ok(Some(session))
    }

    /// The `Set-Cookie` value for `session`: no `Max-Age`, so it ends with
    /// the browser, and it is refused anyway once this process has ended.
    pub fn set_cookie(&self, session: &Session) -> String {
        format!(
            "{}={}; Path=/; HttpOnly; SameSite=Strict",
            self.cookie_name(),
            session.id
        )
    }

    /// The session whose cookie the `Cookie` header carries.
    pub fn session(&self, cookie_header: Option<&str>) -> Result<Session, Refusal> {
        let name = self.cookie_name();
        let presented = cookie_header
            .into_iter()
            .flat_map(|h| h.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.trim());
        let sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        for value in presented {
            if let Some(s) = sessions.iter().find(|s| same(value, &s.id)) {
                return Ok(s.clone());
            }
        }
        Err(Refusal::Session)
    }

    /// A change must come from this listener's own page: `Origin` (which
    /// browsers send with every POST) equal to ours, and the CSRF token of
    /// the session.
    pub fn change_ok(
        &self,
        session: &Session,
        origin: Option<&str>,
        csrf: Option<&str>,
    ) -> Result<(), Refusal> {
        if origin != Some(self.origin().as_str()) {
            return Err(Refusal::Origin);
        }
        match csrf {
            Some(t) if same(t, &session.csrf) => Ok(()),
            _ => Err(Refusal::Csrf),
        }
    }
}

/// 32 random bytes, URL-safe base64.
fn random_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::Other("cannot make the dashboard's key: no randomness".into()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Equality whose time does not depend on where the strings differ.
fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> Guard {
        Guard::new(4321).unwrap()
    }

    #[test]
    fn only_this_listener_is_a_host() {
        let g = guard();
        assert!(g.host_ok(Some("127.0.0.1:4321")).is_ok());
        for bad in [
            None,
            Some("127.0.0.1:4322"),
            Some("localhost:4321"),
            Some("evil.example:4321"),
            Some("127.0.0.1"),
            Some("127.0.0.1:4321.evil.example"),
        ] {
            assert_eq!(g.host_ok(bad), Err(Refusal::Host), "{bad:?}");
        }
    }

    #[test]
    fn the_key_buys_a_session_and_nothing_else_does() {
        let g = guard();
        assert!(g.exchange("wrong").unwrap().is_none());
        assert!(g.exchange("").unwrap().is_none());
        let key = g.start_url().split("key=").nth(1).unwrap().to_string();
        let s = g.exchange(&key).unwrap().unwrap();
        let cookie = g.set_cookie(&s);
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        let value = cookie.split(';').next().unwrap();
        assert!(g.session(Some(value)).is_ok());
        assert!(g.session(Some(&format!("other=1; {value}; x=y"))).is_ok());
        assert_eq!(g.session(None).unwrap_err(), Refusal::Session);
        assert_eq!(
            g.session(Some("mcp_auth_ui_4321=forged")).unwrap_err(),
            Refusal::Session
        );
        // Another port's cookie of the same value is not this one's.
        let other = value.replace("4321", "4322");
        assert_eq!(g.session(Some(&other)).unwrap_err(), Refusal::Session);
    }

    #[test]
    fn a_change_needs_origin_and_csrf() {
        let g = guard();
        let key = g.start_url().split("key=").nth(1).unwrap().to_string();
        let s = g.exchange(&key).unwrap().unwrap();
        let origin = Some("http://127.0.0.1:4321");
        assert!(g.change_ok(&s, origin, Some(&s.csrf)).is_ok());
        assert_eq!(g.change_ok(&s, None, Some(&s.csrf)), Err(Refusal::Origin));
        assert_eq!(
            g.change_ok(&s, Some("http://localhost:4321"), Some(&s.csrf)),
            Err(Refusal::Origin)
        );
        assert_eq!(
            g.change_ok(&s, Some("null"), Some(&s.csrf)),
            Err(Refusal::Origin)
        );
        assert_eq!(g.change_ok(&s, origin, None), Err(Refusal::Csrf));
        assert_eq!(g.change_ok(&s, origin, Some("x")), Err(Refusal::Csrf));
    }

    #[test]
    fn old_sessions_make_room() {
        let g = guard();
        let key = g.start_url().split("key=").nth(1).unwrap().to_string();
        let first = g.exchange(&key).unwrap().unwrap();
        for _ in 0..MAX_SESSIONS {
            g.exchange(&key).unwrap().unwrap();
        }
        let cookie = format!("{}={}", g.cookie_name(), first.id);
        assert_eq!(g.session(Some(&cookie)).unwrap_err(), Refusal::Session);
    }

    #[test]
    fn debug_shows_no_secret() {
        let g = guard();
        let key = g.start_url().split("key=").nth(1).unwrap().to_string();
        let s = g.exchange(&key).unwrap().unwrap();
        assert!(!format!("{g:?}{s:?}").contains(&key));
        assert!(!format!("{s:?}").contains(&s.csrf));
    }
}
