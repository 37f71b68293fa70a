//! `mcp-auth providers list | show`.

use serde::Serialize;

use crate::cli::ProvidersCommand;
use crate::commands::Context;
use crate::error::Result;
use crate::providers::{self, Overrides, Provider, TEMPLATES};

/// One row of `providers list`.
#[derive(Debug, Serialize)]
pub struct ProviderRow {
    pub name: String,
    pub kind: &'static str,
    pub title: String,
    pub client_id: Option<String>,
}

/// `providers show NAME`: the provider and the template parameters given.
pub struct ShowProvider {
    pub name: String,
    /// Only the template parameters are set.
    pub template: Overrides,
}

pub fn run(ctx: &Context, cmd: ProvidersCommand) -> Result<()> {
    match cmd {
        ProvidersCommand::List { json } => list(ctx, json),
        ProvidersCommand::Show {
            name,
            template,
            json,
        } => {
            let show_provider = ShowProvider {
                name,
                template: super::template_overrides(&template),
            };
            show(ctx, &show_provider, json)
        }
    }
}

/// The built-in templates, then the custom providers of the config.
pub fn rows(ctx: &Context) -> Vec<ProviderRow> {
    let mut rows: Vec<ProviderRow> = TEMPLATES
        .iter()
        .map(|t| ProviderRow {
            name: t.name.to_string(),
            kind: if ctx.config.providers.contains_key(t.name) {
                "template, configured"
            } else {
                "template"
            },
            title: t.title.to_string(),
            client_id: ctx
                .config
                .providers
                .get(t.name)
                .and_then(|c| c.client_id.clone()),
        })
        .collect();
    for (name, c) in &ctx.config.providers {
        if providers::template(name).is_some() {
            continue;
        }
        rows.push(ProviderRow {
            name: name.clone(),
            kind: "custom",
            title: c
                .template
                .as_deref()
                .map(|t| format!("based on {t}"))
                .unwrap_or_else(|| "custom provider".into()),
            client_id: c.client_id.clone(),
        });
    }
    rows
}

fn list(ctx: &Context, json: bool) -> Result<()> {
    let rows = rows(ctx);
    if json {
        return ctx.out.json(&rows);
    }
    ctx.out.table(
        &["NAME", "KIND", "PROVIDER", "CLIENT ID"],
        rows.into_iter()
            .map(|r| {
                vec![
                    r.name,
                    r.kind.to_string(),
                    r.title,
                    r.client_id.unwrap_or_else(|| "-".into()),
                ]
            })
            .collect(),
    )
}

/// The provider as `providers show` shows it: templates that need a
/// domain get a placeholder until one is given.
pub fn shown(ctx: &Context, show: &ShowProvider) -> Result<Provider> {
    let name = show.name.as_str();
    let placeholder = providers::template_of(name, &ctx.config).is_some_and(|tm| {
        matches!(tm.name, "okta" | "auth0")
            && ctx
                .config
                .providers
                .get(name)
                .and_then(|c| c.domain.as_ref())
                .is_none()
    });
    let mut over = show.template.clone();
    if over.domain.is_none() && placeholder {
        over.domain = Some("your-domain".to_string());
    }
    providers::resolve(name, &ctx.config, &over)
}

fn show(ctx: &Context, show: &ShowProvider, json: bool) -> Result<()> {
    let p = shown(ctx, show)?;
    if json {
        return ctx.out.json(&p);
    }
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let redirect = if p.redirect_match.port_matched() {
        format!("{} (exactly, port included)", p.redirect_uri)
    } else {
        format!("{} (any port)", p.redirect_uri)
    };
    let mut fields = vec![
        ("name", p.name.clone()),
        ("template", opt(&p.template)),
        ("redirect uri", redirect),
        (
            "client secret",
            match (&p.client_secret_source, p.client_secret_required) {
                (None, true) => "required, not configured (--client-secret-env VAR)".into(),
                (None, false) => "not needed".into(),
                (Some(providers::SecretSource::Config), _) => "in config.toml".into(),
                (Some(providers::SecretSource::Env(v)), _) => format!("from ${v}"),
            },
        ),
        ("client id", opt(&p.client_id)),
        ("scopes", p.scopes.join(" ")),
        ("authorize", p.authorize_url.clone()),
        ("token", p.token_url.clone()),
        ("device", opt(&p.device_authorization_url)),
        ("revocation", opt(&p.revocation_url)),
        ("userinfo", opt(&p.userinfo_url)),
        ("issuer", opt(&p.issuer)),
    ];
    let params: Vec<String> = p
        .extra_params
        .iter()
        .chain(p.authorize_params.iter())
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if !params.is_empty() {
        fields.push(("extra params", params.join(" ")));
    }
    if let Some(r) = &p.registration {
        fields.push(("register at", r.url.to_string()));
        fields.push(("create", flat(r.create)));
        for s in &r.settings {
            fields.push(("setting", flat(s)));
        }
        fields.push(("device flow", flat(r.device_flow)));
        fields.push(("refresh", flat(r.refresh)));
        fields.push(("revoke", flat(r.revocation)));
    }
    ctx.out.fields(&fields)
}

fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
