//! Where a credential's token or a stored secret may be sent: a list of
//! origins (scheme, host, port; RFC 6454 §4) kept beside each one. The
//! bridge sends a token or expands `{secret:NAME}` only for a request to
//! one of them, so an MCP client configuration someone else wrote cannot
//! point a credential at a server of its choosing.
//! https://www.rfc-editor.org/rfc/rfc6454#section-4

use crate::error::{Error, Result};
use crate::model::{Credential, Origin};
use crate::store::Store;
use crate::store::db::Holder;

/// The origin of `raw` as `scheme://host[:port]` (the default port left
/// out, RFC 6454 §6.2), for http and https URLs only.
/// https://www.rfc-editor.org/rfc/rfc6454#section-6.2
pub fn origin_of(raw: &str) -> Result<String> {
    let url = url::Url::parse(raw.trim()).map_err(|e| {
        Error::Usage(format!(
            "{raw:?} is not a URL ({e}); give an origin like https://api.example.com"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::Usage(format!(
            "{raw:?} is not an http or https URL; give an origin like https://api.example.com"
        )));
    }
    Ok(url.origin().ascii_serialization())
}

/// `list` with `more` added, each once, in order.
pub fn union(mut list: Vec<String>, more: impl IntoIterator<Item = String>) -> Vec<String> {
    for o in more {
        if !list.contains(&o) {
            list.push(o);
        }
    }
    list
}

/// The origins a credential's token may go to: those stored, and for a
/// credential of an MCP server that server's own origin, which a login
/// records and which the credential was made for (so credentials saved
/// before origins were recorded keep working with their own server).
pub fn of_credential(cred: &Credential, stored: Vec<String>) -> Vec<String> {
    match &cred.origin {
        Origin::McpServer { server_url } => match origin_of(server_url) {
            Ok(own) => union(vec![own], stored),
            Err(_) => stored,
        },
        Origin::Provider { .. } => stored,
    }
}

/// The command word for a holder (`tokens`, `secrets`).
pub fn command(holder: Holder) -> &'static str {
    match holder {
        Holder::Token => "tokens",
        Holder::Secret => "secrets",
    }
}

/// Why `name` is not sent to `target`, with the command that allows it.
pub fn refusal(holder: Holder, name: &str, target: &str, allowed: &[String]) -> String {
    let what = match holder {
        Holder::Token => format!("the token of '{name}'"),
        Holder::Secret => format!("the secret '{name}'"),
    };
    let allowed = if allowed.is_empty() {
        match holder {
            Holder::Token => "it has no allowed origins yet".to_string(),
            Holder::Secret => "it has no allowed origins yet (secrets stored before \
                               origins were recorded have none)"
                .to_string(),
        }
    } else {
        format!("it may go only to {}", allowed.join(", "))
    };
    format!(
        "refusing to send {what} to {target}: {allowed}; if {target} is meant to have it, run \
         `mcp-auth {} allow {name} {target}`",
        command(holder)
    )
}

/// The origins `name` may go to, as the bridge decides ([`of_credential`]
/// for a credential); `None` when it is not stored.
pub fn allowed(store: &Store, holder: Holder, name: &str) -> Result<Option<Vec<String>>> {
    let Some(stored) = store.db().allowed_origins(holder, name)? else {
        return Ok(None);
    };
    Ok(Some(match holder {
        Holder::Token => match store.db().get(name)? {
            Some(cred) => of_credential(&cred, stored),
            None => stored,
        },
        Holder::Secret => stored,
    }))
}

/// What `tokens|secrets allow|disallow --json` prints.
#[derive(serde::Serialize)]
pub struct Changed<'a> {
    pub name: &'a str,
    pub origin: &'a str,
    pub allowed_origins: &'a [String],
}

/// `mcp-auth tokens|secrets allow|disallow NAME URL`: adds or removes the
/// origin of `raw`; returns the origin and the list now in force.
pub fn change(
    store: &Store,
    holder: Holder,
    name: &str,
    raw: &str,
    add: bool,
) -> Result<(String, Vec<String>)> {
    let origin = origin_of(raw)?;
    let Some(stored) = store.db().allowed_origins(holder, name)? else {
        return Err(match holder {
            Holder::Token => Error::CredentialNotFound(name.to_string()),
            Holder::Secret => Error::SecretNotFound(name.to_string()),
        });
    };
    let list = if add {
        union(stored, [origin.clone()])
    } else {
        let own = allowed(store, holder, name)?
            .unwrap_or_default()
            .contains(&origin)
            && !stored.contains(&origin);
        if own {
            return Err(Error::Usage(format!(
                "{origin} is the origin of the MCP server the credential '{name}' was made \
                 for, and stays allowed; to stop sending '{name}' anywhere, revoke it: \
                 `mcp-auth tokens revoke {name}`"
            )));
        }
        stored.into_iter().filter(|o| *o != origin).collect()
    };
    store.db().set_allowed_origins(holder, name, &list)?;
    let now_allowed = allowed(store, holder, name)?.unwrap_or_default();
    Ok((origin, now_allowed))
}

/// `None` when `name`'s token or secret may go to `target` (an origin),
/// else the refusal. A name that is not stored passes: what uses it
/// reports that (or, for a credential, logs in for this server).
pub fn check(store: &Store, holder: Holder, name: &str, target: &str) -> Result<Option<String>> {
    let Some(allowed) = allowed(store, holder, name)? else {
        return Ok(None);
    };
    if allowed.iter().any(|o| o == target) {
        Ok(None)
    } else {
        Ok(Some(refusal(holder, name, target, &allowed)))
    }
}

/// The names in `{secret:NAME}` placeholders of `--header` values.
pub fn secret_names(headers: &[String]) -> Vec<String> {
    let mut names = Vec::new();
    for h in headers {
        let mut rest = h.as_str();
        while let Some(start) = rest.find("{secret:") {
            let after = &rest[start + "{secret:".len()..];
            let Some(end) = after.find('}') else { break };
            let name = after[..end].to_string();
            if !names.contains(&name) {
                names.push(name);
            }
            rest = &after[end + 1..];
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://api.github.com/x?y").unwrap(),
            "https://api.github.com"
        );
        assert_eq!(
            origin_of("https://API.github.com:443/").unwrap(),
            "https://api.github.com"
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080/mcp").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(origin_of("api.github.com").is_err());
        assert!(origin_of("file:///etc/passwd").is_err());
    }

    #[test]
    fn secret_names_are_read_from_headers() {
        assert_eq!(
            secret_names(&[
                "X-Api-Key: {secret:k1}".into(),
                "A: {secret:k2}-{secret:k1}".into()
            ]),
            vec!["k1".to_string(), "k2".to_string()]
        );
        assert!(secret_names(&["X: {secret:open".into()]).is_empty());
    }

    #[test]
    fn a_refusal_names_the_command() {
        let m = refusal(Holder::Secret, "k1", "http://127.0.0.2:9", &[]);
        assert!(
            m.contains("`mcp-auth secrets allow k1 http://127.0.0.2:9`"),
            "{m}"
        );
        assert!(m.contains("stored before origins were recorded"), "{m}");
    }
}
