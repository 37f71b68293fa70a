//! `mcp-auth providers list | show`.

use serde::Serialize;

use crate::cli::ProvidersCommand;
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
            domain,
            tenant,
            json,
        } => show(ctx, &name, domain, tenant, json),
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

fn show(
    ctx: &Context,
    name: &str,
    domain: Option<String>,
    tenant: Option<String>,
    json: bool,
) -> Result<()> {
    // Templates with a {domain} show placeholders until one is given.
    let placeholder = providers::template(
        ctx.config
            .providers
            .get(name)
            .and_then(|c| c.template.as_deref())
            .unwrap_or(name),
    )
    .is_some_and(|t| t.authorize_url.contains("{domain}") && t.default_domain.is_none());
    let over = Overrides {
        domain: domain.or_else(|| {
            let configured = ctx
                .config
                .providers
                .get(name)
                .and_then(|c| c.domain.clone());
            configured.or(placeholder.then(|| "DOMAIN".to_string()))
        }),
        tenant,
        ..Overrides::default()
    };
    let p = providers::resolve(name, &ctx.config, &over)?;
    if json {
        return ctx.out.json(&p);
    }
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let mut fields = vec![
        ("name", p.name.clone()),
        ("template", opt(&p.template)),
        ("authorize", p.authorize_url.clone()),
        ("token", p.token_url.clone()),
        ("device", opt(&p.device_authorization_url)),
        ("revocation", opt(&p.revocation_url)),
        ("userinfo", opt(&p.userinfo_url)),
        ("issuer", opt(&p.issuer)),
        ("client id", opt(&p.client_id)),
        (
            "client secret",
            match &p.client_secret_source {
                None => "-".into(),
                Some(providers::SecretSource::Config) => "in config.toml".into(),
                Some(providers::SecretSource::Env(v)) => format!("from ${v}"),
            },
        ),
        ("scopes", p.scopes.join(" ")),
    ];
    if !p.extra_params.is_empty() {
        fields.push((
            "extra params",
            p.extra_params
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" "),
        ));
    }
    if let Some(h) = p.register_hint {
        fields.push((
            "register",
            h.split_whitespace().collect::<Vec<_>>().join(" "),
        ));
    }
    ctx.out.fields(&fields)
}
