//! The interactive authorization code flow shared by provider logins, MCP
//! server logins and the bridge's login on first use: build the request
//! (PKCE S256, state, resource), present the URL, wait for the loopback
//! callback, check it, exchange the code.

use std::time::Duration;

use super::authorize::{self, AuthParams};
use super::loopback::{self, Callback, Expect, Loopback};
use super::{ClientAuth, Extras, Tokens, token};
use crate::error::{Error, Result};
use crate::model::now;
use crate::output::Printer;

/// Everything one authorization code login needs besides the listener.
pub struct CodeFlow<'a> {
    pub authorize_url: &'a str,
    pub token_url: &'a str,
    pub auth: &'a ClientAuth,
    pub scopes: &'a [String],
    /// RFC 8707 resource, sent on the authorization and token requests.
    pub resource: Option<&'a str>,
    pub extra_params: &'a [(String, String)],
    /// The issuer `iss` is checked against, when known (RFC 9207).
    pub issuer: Option<&'a str>,
    pub iss_required: bool,
    pub timeout: Duration,
    /// Also accept the final redirect URL pasted on stdin, for a browser on
    /// another machine (paste-back).
    pub paste: bool,
}

/// How the login URL reaches the person: printed, and opened in a browser
/// unless that is turned off.
pub struct Presenter<'a> {
    pub out: &'a Printer,
    pub title: &'a str,
    pub browser: Option<&'a str>,
    pub no_browser: bool,
}

impl Presenter<'_> {
    /// For paste-back: the URL and how to bring the answer back.
    pub fn present_for_paste(&self, url: &str) {
        self.out.info(&format!(
            "Open this URL in a browser on any machine to log in to {}:\n\n  {url}\n\n\
             After you approve, the browser goes to an address on 127.0.0.1 that will probably \
             fail to load. Copy that whole address from the address bar and paste it here, then \
             press Enter:",
            self.title
        ));
    }

    /// For the device grant: the code and where to enter it.
    pub fn present_device(&self, p: &super::device::Prompt) {
        let mut text = format!(
            "To log in to {}, open {} on any device and enter the code:\n\n    {}\n",
            self.title,
            p.verification_uri,
            p.user_code.expose()
        );
        if let Some(full) = &p.verification_uri_complete {
            text.push_str(&format!(
                "\n(or open {}, which has the code in it)\n",
                full.expose()
            ));
        }
        text.push_str(&format!(
            "\nThe code expires in {}.",
            humantime::format_duration(p.expires_in)
        ));
        self.out.info(&text);
        if !self.no_browser && (self.browser.is_some() || !super::browser::no_display()) {
            let url = p
                .verification_uri_complete
                .as_ref()
                .map(|u| u.expose().to_string())
                .unwrap_or_else(|| p.verification_uri.clone());
            let _ = super::browser::open(&url, self.browser);
        }
    }

    pub fn present(&self, url: &str) {
        self.out.info(&format!(
            "Open this URL to log in to {}:\n\n  {url}\n",
            self.title
        ));
        if self.no_browser {
            return;
        }
        if self.browser.is_none() && super::browser::no_display() {
            self.out.info(
                "No display found, so no browser was opened. Open the URL on a machine whose \
                 browser can reach this one's 127.0.0.1 (e.g. through `ssh -L`), or press \
                 Ctrl-C and log in with --device (a code to type on any device) or --paste \
                 (paste the final address back here).",
            );
            return;
        }
        if let Err(e) = super::browser::open(url, self.browser) {
            self.out.warn(&format!("{e}; open the URL above yourself"));
        }
    }
}

/// Runs the flow on an already bound listener (its redirect URI may have
/// been registered with the server first).
pub async fn authorization_code(
    listener: Loopback,
    flow: &CodeFlow<'_>,
    presenter: &Presenter<'_>,
) -> Result<Tokens> {
    let redirect_uri = listener.redirect_uri();
    let request = authorize::build(&AuthParams {
        authorize_url: flow.authorize_url,
        client_id: &flow.auth.client_id,
        redirect_uri: &redirect_uri,
        scopes: flow.scopes,
        resource: flow.resource,
        extra_params: flow.extra_params,
    })?;
    // The URL itself carries `state` and the PKCE challenge: its host is
    // enough to tell where the person is sent.
    tracing::debug!(
        redirect_uri = %redirect_uri,
        authorization_host = %request.url.host_str().unwrap_or("-"),
        client_id = %flow.auth.client_id,
        scopes = %flow.scopes.join(" "),
        resource = %flow.resource.unwrap_or("-"),
        "authorization request ready; the redirect listener is waiting"
    );
    let expect = Expect {
        state: request.state.clone(),
        issuer: flow.issuer.map(str::to_string),
        iss_required: flow.iss_required,
    };
    let callback = if flow.paste {
        presenter.present_for_paste(request.url.as_str());
        // The browser may still be on this machine: whichever comes first.
        interruptible(async {
            tokio::select! {
                r = listener.wait(expect.clone(), flow.timeout) => r,
                r = read_pasted(expect.clone(), flow.timeout) => r,
            }
        })
        .await?
    } else {
        presenter.present(request.url.as_str());
        let spinner = presenter
            .out
            .spinner("Waiting for the browser to come back (Ctrl-C to cancel)");
        let cb = interruptible(listener.wait(expect, flow.timeout)).await;
        spinner.finish();
        cb?
    };
    tracing::debug!("the callback came back with a code and the expected state");
    tracing::debug!(token_endpoint = %flow.token_url, method = %flow.auth.method.as_str(), "exchanging the code for tokens");
    let spinner = presenter.out.spinner("Exchanging the code for tokens");
    let extras = Extras {
        resource: flow.resource.map(str::to_string),
        params: Vec::new(),
    };
    let tokens = interruptible(token::exchange_code(
        flow.token_url,
        flow.auth,
        &callback.code,
        request.verifier,
        &redirect_uri,
        &extras,
        now(),
    ))
    .await;
    spinner.finish();
    if let Ok(t) = &tokens {
        log_tokens(t);
    }
    tokens
}

/// What a token answer brought, never the tokens themselves.
pub fn log_tokens(t: &Tokens) {
    tracing::debug!(
        expires_in_secs = t.access_expires_at.map(|e| e - now()).unwrap_or(-1),
        refresh_token = t.refresh_token.is_some(),
        id_token = t.id_token.is_some(),
        scopes = %t.scopes.as_deref().unwrap_or_default().join(" "),
        "the token endpoint issued tokens"
    );
}

/// Reads the redirect URL the person pastes (the page that failed to load)
/// and checks it exactly as the listener checks a callback.
async fn read_pasted(expect: Expect, timeout: Duration) -> Result<Callback> {
    let line = tokio::time::timeout(
        timeout,
        tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map(|_| line)
        }),
    )
    .await
    .map_err(|_| {
        Error::Timeout(format!(
            "nothing was pasted within {}; run the login again",
            humantime::format_duration(timeout)
        ))
    })?
    .map_err(|e| Error::Other(format!("cannot read stdin: {e}")))?
    .map_err(|e| Error::io("cannot read the pasted URL", e))?;
    let line = line.trim();
    if line.is_empty() {
        return Err(Error::Usage(
            "nothing was pasted (stdin closed); paste the address of the page the browser \
             ended on"
                .into(),
        ));
    }
    let query = match url::Url::parse(line) {
        Ok(u) => u.query().unwrap_or("").to_string(),
        // Just the query (or "?code=...") is fine too.
        Err(_) => line.trim_start_matches('?').to_string(),
    };
    loopback::check(&query, &expect)
}

/// Waits for `fut` unless the person presses Ctrl-C.
pub async fn interruptible<T>(fut: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    tokio::select! {
        r = fut => r,
        _ = tokio::signal::ctrl_c() => Err(Error::Interrupted),
    }
}
