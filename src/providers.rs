//! Provider templates and their resolution with the config and flags into
//! the endpoints, client and scopes one login uses.
//!
//! Template URLs may hold `{domain}` (Okta, Auth0, GitLab host) and
//! `{tenant}` (Microsoft); the values come from flags or config.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::{Config, ProviderConfig};
use crate::error::{Error, Result};

/// A built-in provider.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    pub name: &'static str,
    pub title: &'static str,
    pub authorize_url: &'static str,
    pub token_url: &'static str,
    pub device_authorization_url: Option<&'static str>,
    pub revocation_url: Option<&'static str>,
    pub userinfo_url: Option<&'static str>,
    pub issuer: Option<&'static str>,
    pub scopes: &'static [&'static str],
    pub extra_params: &'static [(&'static str, &'static str)],
    /// Default for `{domain}`, when the template has one.
    pub default_domain: Option<&'static str>,
    pub default_tenant: Option<&'static str>,
    /// Where to register an OAuth app and what to enter there.
    pub register_hint: &'static str,
}

pub const TEMPLATES: &[Template] = &[
    Template {
        name: "github",
        title: "GitHub",
        authorize_url: "https://github.com/login/oauth/authorize",
        token_url: "https://github.com/login/oauth/access_token",
        device_authorization_url: Some("https://github.com/login/device/code"),
        // GitHub has no RFC 7009 endpoint; grants are revoked in the
        // account's settings (Applications).
        revocation_url: None,
        userinfo_url: Some("https://api.github.com/user"),
        issuer: None,
        scopes: &["read:user"],
        extra_params: &[],
        default_domain: None,
        default_tenant: None,
        register_hint: "create an OAuth app (or GitHub App) at https://github.com/settings/developers \
                        with callback URL http://127.0.0.1/callback",
    },
    Template {
        name: "google",
        title: "Google",
        authorize_url: "https://accounts.google.com/o/oauth2/v2/auth",
        token_url: "https://oauth2.googleapis.com/token",
        device_authorization_url: Some("https://oauth2.googleapis.com/device/code"),
        revocation_url: Some("https://oauth2.googleapis.com/revoke"),
        userinfo_url: Some("https://openidconnect.googleapis.com/v1/userinfo"),
        issuer: Some("https://accounts.google.com"),
        scopes: &["openid", "email", "profile"],
        // Google only issues a refresh token with offline access.
        extra_params: &[("access_type", "offline"), ("prompt", "consent")],
        default_domain: None,
        default_tenant: None,
        register_hint: "create a \"Desktop app\" OAuth client at \
                        https://console.cloud.google.com/apis/credentials (its secret goes in \
                        client_secret_env or the keyring)",
    },
    Template {
        name: "microsoft",
        title: "Microsoft Entra ID",
        authorize_url: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
        token_url: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
        device_authorization_url: Some(
            "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode",
        ),
        revocation_url: None,
        userinfo_url: Some("https://graph.microsoft.com/oidc/userinfo"),
        issuer: None,
        scopes: &["openid", "profile", "email", "offline_access"],
        extra_params: &[],
        default_domain: None,
        default_tenant: Some("common"),
        register_hint: "register an app at https://entra.microsoft.com (App registrations) with a \
                        \"Mobile and desktop\" redirect URI http://localhost",
    },
    Template {
        name: "okta",
        title: "Okta",
        authorize_url: "https://{domain}/oauth2/default/v1/authorize",
        token_url: "https://{domain}/oauth2/default/v1/token",
        device_authorization_url: Some("https://{domain}/oauth2/default/v1/device/authorize"),
        revocation_url: Some("https://{domain}/oauth2/default/v1/revoke"),
        userinfo_url: Some("https://{domain}/oauth2/default/v1/userinfo"),
        issuer: Some("https://{domain}/oauth2/default"),
        scopes: &["openid", "profile", "email", "offline_access"],
        extra_params: &[],
        default_domain: None,
        default_tenant: None,
        register_hint: "create a \"Native Application\" app integration in the Okta admin console \
                        with sign-in redirect URI http://127.0.0.1/callback",
    },
    Template {
        name: "auth0",
        title: "Auth0",
        authorize_url: "https://{domain}/authorize",
        token_url: "https://{domain}/oauth/token",
        device_authorization_url: Some("https://{domain}/oauth/device/code"),
        revocation_url: Some("https://{domain}/oauth/revoke"),
        userinfo_url: Some("https://{domain}/userinfo"),
        issuer: Some("https://{domain}/"),
        scopes: &["openid", "profile", "email", "offline_access"],
        extra_params: &[],
        default_domain: None,
        default_tenant: None,
        register_hint: "create a \"Native\" application in the Auth0 dashboard with allowed \
                        callback URL http://127.0.0.1/callback (set extra_params.audience for an API)",
    },
    Template {
        name: "gitlab",
        title: "GitLab",
        authorize_url: "https://{domain}/oauth/authorize",
        token_url: "https://{domain}/oauth/token",
        device_authorization_url: Some("https://{domain}/oauth/authorize_device"),
        revocation_url: Some("https://{domain}/oauth/revoke"),
        userinfo_url: Some("https://{domain}/oauth/userinfo"),
        issuer: Some("https://{domain}"),
        scopes: &["openid", "profile", "email", "read_user"],
        extra_params: &[],
        default_domain: Some("gitlab.com"),
        default_tenant: None,
        register_hint: "add an application under User settings > Applications (not confidential) \
                        with redirect URI http://127.0.0.1/callback",
    },
];

pub fn template(name: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.name == name)
}

/// Everything one login with a provider needs, resolved.
#[derive(Debug, Clone, Serialize)]
pub struct Provider {
    pub name: String,
    /// The built-in template it is based on, if any.
    pub template: Option<String>,
    pub authorize_url: String,
    pub token_url: String,
    pub device_authorization_url: Option<String>,
    pub revocation_url: Option<String>,
    pub userinfo_url: Option<String>,
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    /// Where the client secret comes from, never the secret itself.
    pub client_secret_source: Option<SecretSource>,
    pub scopes: Vec<String>,
    pub extra_params: BTreeMap<String, String>,
    pub redirect_port: Option<u16>,
    #[serde(skip)]
    pub register_hint: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "from", content = "name")]
pub enum SecretSource {
    /// `client_secret` in config.toml (plaintext).
    Config,
    /// An environment variable.
    Env(String),
}

/// Values given on the command line for one login.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub client_id: Option<String>,
    pub client_secret_env: Option<String>,
    pub scopes: Vec<String>,
    pub domain: Option<String>,
    pub tenant: Option<String>,
}

/// Looks up `name` among custom providers and templates and applies config
/// and flags. Flags win over config, config over the template.
pub fn resolve(name: &str, config: &Config, over: &Overrides) -> Result<Provider> {
    let custom = config.providers.get(name);
    let base_name = custom.and_then(|c| c.template.as_deref()).unwrap_or(name);
    let template = template(base_name);
    if custom.and_then(|c| c.template.as_deref()).is_some() && template.is_none() {
        return Err(Error::Config(format!(
            "[providers.{name}] is based on template {base_name:?}, which does not exist; \
             templates: {}",
            TEMPLATES
                .iter()
                .map(|t| t.name)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if custom.is_none() && template.is_none() {
        return Err(Error::UnknownProvider(name.to_string()));
    }
    let empty = ProviderConfig::default();
    let c = custom.unwrap_or(&empty);

    let domain = over
        .domain
        .clone()
        .or_else(|| c.domain.clone())
        .or_else(|| template.and_then(|t| t.default_domain.map(str::to_string)));
    let tenant = over
        .tenant
        .clone()
        .or_else(|| c.tenant.clone())
        .or_else(|| template.and_then(|t| t.default_tenant.map(str::to_string)));
    let fill = |what: &str, url: &str| -> Result<String> {
        let mut out = url.to_string();
        if out.contains("{domain}") {
            let d = domain.as_deref().ok_or_else(|| {
                Error::Usage(format!(
                    "{name} needs a domain for its {what}: pass --domain (e.g. --domain \
                     dev-123.okta.com) or set domain under [providers.{name}] in config.toml"
                ))
            })?;
            let d = clean_host(d)?;
            out = out.replace("{domain}", &d);
        }
        if out.contains("{tenant}") {
            let t = tenant.as_deref().unwrap_or("common");
            if t.is_empty()
                || !t
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-.".contains(c))
            {
                return Err(Error::Usage(format!(
                    "tenant {t:?} is not a tenant name or id"
                )));
            }
            out = out.replace("{tenant}", t);
        }
        Ok(out)
    };
    let pick =
        |own: &Option<String>, tmpl: Option<&'static str>, what: &str| -> Result<Option<String>> {
            match own {
                Some(v) => Ok(Some(v.clone())),
                None => tmpl.map(|u| fill(what, u)).transpose(),
            }
        };
    let authorize_url = pick(
        &c.authorize_url,
        template.map(|t| t.authorize_url),
        "authorization endpoint",
    )?
    .ok_or_else(|| missing(name, "authorize_url"))?;
    let token_url = pick(
        &c.token_url,
        template.map(|t| t.token_url),
        "token endpoint",
    )?
    .ok_or_else(|| missing(name, "token_url"))?;
    for (what, url) in [("authorize_url", &authorize_url), ("token_url", &token_url)] {
        check_url(name, what, url)?;
    }
    let optional = |own: &Option<String>, tmpl: Option<Option<&'static str>>, what: &str| {
        let v = pick(own, tmpl.flatten(), what)?;
        if let Some(u) = &v {
            check_url(name, what, u)?;
        }
        Ok::<_, Error>(v)
    };
    let client_secret_source = match (
        &over.client_secret_env,
        &c.client_secret_env,
        &c.client_secret,
    ) {
        (Some(var), _, _) => Some(SecretSource::Env(var.clone())),
        (None, Some(var), _) => Some(SecretSource::Env(var.clone())),
        (None, None, Some(_)) => Some(SecretSource::Config),
        _ => None,
    };
    let scopes = if !over.scopes.is_empty() {
        split_scopes(&over.scopes)
    } else if let Some(s) = &c.scopes {
        s.clone()
    } else {
        template
            .map(|t| t.scopes.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default()
    };
    let mut extra_params: BTreeMap<String, String> = template
        .map(|t| {
            t.extra_params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .unwrap_or_default();
    extra_params.extend(c.extra_params.clone());
    Ok(Provider {
        name: name.to_string(),
        template: template.map(|t| t.name.to_string()),
        device_authorization_url: optional(
            &c.device_authorization_url,
            template.map(|t| t.device_authorization_url),
            "device_authorization_url",
        )?,
        revocation_url: optional(
            &c.revocation_url,
            template.map(|t| t.revocation_url),
            "revocation_url",
        )?,
        userinfo_url: optional(
            &c.userinfo_url,
            template.map(|t| t.userinfo_url),
            "userinfo_url",
        )?,
        issuer: pick(&c.issuer, template.and_then(|t| t.issuer), "issuer")?,
        authorize_url,
        token_url,
        client_id: over.client_id.clone().or_else(|| c.client_id.clone()),
        client_secret_source,
        scopes,
        extra_params,
        redirect_port: c.redirect_port,
        register_hint: template.map(|t| t.register_hint),
    })
}

/// Splits `--scope "a b" --scope c` into `a`, `b`, `c`, keeping order and
/// dropping duplicates.
pub fn split_scopes(raw: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in raw.iter().flat_map(|s| s.split_whitespace()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out
}

fn missing(name: &str, field: &str) -> Error {
    Error::Config(format!(
        "[providers.{name}] needs {field} (the provider's OAuth endpoint) in config.toml"
    ))
}

/// Accepts `dev-123.okta.com` or `https://dev-123.okta.com/`; refuses
/// anything that would change the URL's shape.
fn clean_host(d: &str) -> Result<String> {
    let d = d.trim();
    let d = d
        .strip_prefix("https://")
        .unwrap_or(d)
        .trim_end_matches('/');
    let valid = !d.is_empty()
        && d.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.:".contains(c));
    if !valid {
        return Err(Error::Usage(format!(
            "{d:?} is not a host name (like dev-123.okta.com)"
        )));
    }
    Ok(d.to_string())
}

/// Endpoints must be https, except on loopback (local test servers).
fn check_url(provider: &str, what: &str, raw: &str) -> Result<()> {
    let url = url::Url::parse(raw).map_err(|e| {
        Error::Config(format!(
            "[providers.{provider}] {what} {raw:?} is not a URL: {e}"
        ))
    })?;
    if url.scheme() == "https" || (url.scheme() == "http" && is_loopback(&url)) {
        return Ok(());
    }
    Err(Error::Config(format!(
        "[providers.{provider}] {what} {raw:?} must use https (plain http is only allowed on loopback)"
    )))
}

pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(toml: &str) -> Config {
        Config::from_sources(toml, "t", Vec::new()).unwrap()
    }

    #[test]
    fn templates_resolve_with_their_parameters() {
        let p = resolve(
            "okta",
            &config(""),
            &Overrides {
                domain: Some("https://dev-1.okta.com/".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            p.token_url,
            "https://dev-1.okta.com/oauth2/default/v1/token"
        );
        assert_eq!(
            p.issuer.as_deref(),
            Some("https://dev-1.okta.com/oauth2/default")
        );

        let p = resolve("microsoft", &config(""), &Overrides::default()).unwrap();
        assert!(p.authorize_url.contains("/common/"));
        let p = resolve("gitlab", &config(""), &Overrides::default()).unwrap();
        assert_eq!(p.token_url, "https://gitlab.com/oauth/token");
    }

    #[test]
    fn a_missing_domain_says_how_to_give_one() {
        let e = resolve("auth0", &config(""), &Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("--domain"), "{e}");
        let e = resolve(
            "okta",
            &config(""),
            &Overrides {
                domain: Some("evil.com/x?".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("not a host"), "{e}");
    }

    #[test]
    fn config_overrides_template_and_flags_override_config() {
        let c = config("[providers.github]\nclient_id = \"from-config\"\nscopes = [\"repo\"]\n");
        let p = resolve("github", &c, &Overrides::default()).unwrap();
        assert_eq!(p.client_id.as_deref(), Some("from-config"));
        assert_eq!(p.scopes, vec!["repo"]);
        let p = resolve(
            "github",
            &c,
            &Overrides {
                client_id: Some("flag".into()),
                scopes: vec!["a b".into(), "a".into()],
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(p.client_id.as_deref(), Some("flag"));
        assert_eq!(p.scopes, vec!["a", "b"]);
    }

    #[test]
    fn custom_providers_need_endpoints_and_https() {
        let e = resolve(
            "acme",
            &config("[providers.acme]\nclient_id = \"x\"\n"),
            &Overrides::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("authorize_url"), "{e}");
        let c = config(
            "[providers.acme]\nauthorize_url = \"http://acme.example/a\"\ntoken_url = \"https://acme.example/t\"\n",
        );
        let e = resolve("acme", &c, &Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("https"), "{e}");
        let c = config(
            "[providers.local]\nauthorize_url = \"http://127.0.0.1:9/a\"\ntoken_url = \"http://127.0.0.1:9/t\"\n",
        );
        assert!(resolve("local", &c, &Overrides::default()).is_ok());
    }

    #[test]
    fn named_instances_of_a_template() {
        let c = config("[providers.work]\ntemplate = \"okta\"\ndomain = \"work.okta.com\"\n");
        let p = resolve("work", &c, &Overrides::default()).unwrap();
        assert_eq!(p.template.as_deref(), Some("okta"));
        assert!(p.authorize_url.starts_with("https://work.okta.com/"));
        let c = config("[providers.x]\ntemplate = \"nope\"\n");
        assert!(resolve("x", &c, &Overrides::default()).is_err());
        assert!(matches!(
            resolve("nope", &config(""), &Overrides::default()),
            Err(Error::UnknownProvider(_))
        ));
    }
}
