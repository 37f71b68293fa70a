//! `mcp-auth providers list | show`.

use serde::Serialize;

use crate::cli::{ProvidersCommand, TemplateArgs};
use crate::commands::Context;
use crate::error::Result;
use crate::providers::{self, Overrides, TEMPLATES};

#[derive(Serialize)]
struct Row {
    name: String,
    kind: &'static str,
    title: String,
    client_id: Option<String>,
}

pub fn run(ctx: &Context, cmd: ProvidersCommand) -> Result<()> {
    match cmd {
        ProvidersCommand::List { json } => list(ctx, json),
        ProvidersCommand::Show {
            name,
            template,
            json,
        } => show(ctx, &name, &template, json),
    }
}

fn list(ctx: &Context, json: bool) -> Result<()> {
    let mut rows: Vec<Row> = TEMPLATES
        .iter()
        .map(|t| Row {
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
        rows.push(Row {
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

fn show(ctx: &Context, name: &str, t: &TemplateArgs, json: bool) -> Result<()> {
    // Templates that need a domain show a placeholder until one is given.
    let placeholder = providers::template_of(name, &ctx.config).is_some_and(|tm| {
        matches!(tm.name, "okta" | "auth0")
            && ctx
                .config
                .providers
                .get(name)
                .and_then(|c| c.domain.as_ref())
                .is_none()
    });
    let over = Overrides {
        domain: t
            .domain
            .clone()
            .or(placeholder.then(|| "your-domain".to_string())),
        tenant: t.tenant.clone(),
        auth_server: t.auth_server.clone(),
        audience: t.audience.clone(),
        ..Overrides::default()
    };
    let p = providers::resolve(name, &ctx.config, &over)?;
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
