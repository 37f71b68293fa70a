//! The interactive authorization code flow shared by provider logins, MCP
//! server logins and the bridge's login on first use: build the request
//! (PKCE S256, state, resource), present the URL, wait for the loopback
//! callback, check it, exchange the code.

use std::time::Duration;

use super::authorize::{self, AuthParams};
use super::loopback::{Expect, Loopback};
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
                "No display found, so no browser was opened: open the URL on any machine whose \
                 browser can reach this one's 127.0.0.1 (e.g. through `ssh -L`).",
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
    presenter.present(request.url.as_str());
    let expect = Expect {
        state: request.state.clone(),
        issuer: flow.issuer.map(str::to_string),
        iss_required: flow.iss_required,
    };
    let spinner = presenter
        .out
        .spinner("Waiting for the browser to come back (Ctrl-C to cancel)");
    let callback = interruptible(listener.wait(expect, flow.timeout)).await?;
    spinner.set_message("Exchanging the code for tokens");
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
    tokens
}

/// Waits for `fut` unless the person presses Ctrl-C.
pub async fn interruptible<T>(fut: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    tokio::select! {
        r = fut => r,
        _ = tokio::signal::ctrl_c() => Err(Error::Interrupted),
    }
}
