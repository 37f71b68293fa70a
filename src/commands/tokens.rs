//! `mcp-auth tokens list | show | revoke | refresh | prune`. Never prints a
//! token value.
//!
//! Each subcommand's flags become a small settings value first, in [`run`];
//! the work is a plain function over [`Context`] and that value, and what a
//! command shows is computed by a function that returns it ([`listed`],
//! [`table_rows`], [`shown`], [`revoke_targets`], [`revoke_each`],
//! [`refresh_each`], [`prune`]), so another front end can call the same
//! functions without printing.

use serde::Serialize;

use crate::cli::{HealthFilter, ListArgs, RevokeArgs, TokensCommand};
use crate::commands::{Context, OriginChange};
use crate::credentials::{Credentials, Holder, PruneReport};
use crate::error::{Error, Result};
use crate::model::{Credential, Event, Health, Origin, Timestamp, now, relative, rfc3339};
use crate::providers::{self, Revocation};

pub async fn run(ctx: &Context, cmd: TokensCommand) -> Result<()> {
    match cmd {
        TokensCommand::List(args) => list(ctx, &Listing::from_args(&args), args.json),
        TokensCommand::Show { name, json } => show(ctx, &name, json),
        TokensCommand::Allow { name, url, json } => super::allow_origin(
            ctx,
            &OriginChange {
                holder: Holder::Token,
                name: &name,
                url: &url,
                allow: true,
            },
            json,
        ),
        TokensCommand::Disallow { name, url, json } => super::allow_origin(
            ctx,
            &OriginChange {
                holder: Holder::Token,
                name: &name,
                url: &url,
                allow: false,
            },
            json,
        ),
        TokensCommand::Revoke(args) => revoke(ctx, Revoke::from_args(&args)).await,
        TokensCommand::Refresh {
            names,
            all: _,
            scopes,
            no_browser,
            json,
        } if !scopes.is_empty() => {
            step_up(ctx, &StepUp::from_args(&names, &scopes, no_browser)?, json).await
        }
        TokensCommand::Refresh {
            names, all, json, ..
        } => {
            let selection = if all {
                RefreshSelection::Renewable
            } else {
                RefreshSelection::Named(names)
            };
            refresh(ctx, selection, json).await
        }
        TokensCommand::Import(args) => {
            let import = super::import::Import::from_args(ctx, &args)?;
            super::import::run(ctx, &import, args.json).await
        }
        TokensCommand::Prune {
            retention_days,
            dry_run,
            json,
        } => {
            let prune = Prune {
                retention_days: retention_days.unwrap_or(ctx.config.retention_days),
                dry_run,
            };
            prune_cmd(ctx, &prune, json)
        }
    }
}

/// A credential as scripts see it (`--json`): metadata, health, RFC 3339
/// times. No secret.
#[derive(Debug, Serialize)]
pub struct CredentialView {
    pub name: String,
    pub kind: &'static str,
    pub provider: Option<String>,
    pub server_url: Option<String>,
    pub issuer: Option<String>,
    pub resource: Option<String>,
    pub client_id: String,
    pub grant: &'static str,
    pub token_endpoint_auth_method: &'static str,
    pub user: Option<String>,
    pub email: Option<String>,
    pub subject: Option<String>,
    pub scopes: Vec<String>,
    pub health: Health,
    pub status: &'static str,
    pub renewable: bool,
    pub expires_at: Option<String>,
    pub refresh_expires_at: Option<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub last_refreshed_at: Option<String>,
    pub last_error: Option<String>,
    pub generation: i64,
    /// Where the bridge may send its token ([`crate::origins`]).
    pub allowed_origins: Vec<String>,
}

impl CredentialView {
    pub fn of(c: &Credential, at: Timestamp) -> CredentialView {
        let (kind, provider, server_url) = match &c.origin {
            crate::model::Origin::Provider { provider } => {
                ("provider", Some(provider.clone()), None)
            }
            crate::model::Origin::McpServer { server_url } => {
                ("mcp_server", None, Some(server_url.clone()))
            }
        };
        CredentialView {
            name: c.name.clone(),
            kind,
            provider,
            server_url,
            issuer: c.issuer.clone(),
            resource: c.resource.clone(),
            client_id: c.client_id.clone(),
            grant: c.grant.as_str(),
            token_endpoint_auth_method: c.auth_method.as_str(),
            user: c.username.clone(),
            email: c.email.clone(),
            subject: c.subject.clone(),
            scopes: c.scopes.clone(),
            health: c.health(at),
            status: c.status.as_str(),
            renewable: c.renewable(),
            expires_at: c.access_expires_at.map(rfc3339),
            refresh_expires_at: c.refresh_expires_at.map(rfc3339),
            created_at: rfc3339(c.created_at),
            last_used_at: c.last_used_at.map(rfc3339),
            last_refreshed_at: c.last_refreshed_at.map(rfc3339),
            last_error: c.last_error.clone(),
            generation: c.generation,
            allowed_origins: Vec::new(),
        }
    }
}

/// Which credentials `tokens list` shows.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Only those of this provider (or MCP server URL).
    pub provider: Option<String>,
    /// Only those with this health.
    pub health: Option<Health>,
}

impl Listing {
    fn from_args(args: &ListArgs) -> Listing {
        Listing {
            provider: args.provider.clone(),
            health: args.status.map(|f| match f {
                HealthFilter::Valid => Health::Valid,
                HealthFilter::ExpiringSoon => Health::ExpiringSoon,
                HealthFilter::Refreshable => Health::Refreshable,
                HealthFilter::Expired => Health::Expired,
                HealthFilter::NeedsLogin => Health::NeedsLogin,
            }),
        }
    }

    fn wants(&self, c: &Credential, at: Timestamp) -> bool {
        self.provider
            .as_deref()
            .is_none_or(|p| c.origin.label() == p)
            && self.health.is_none_or(|h| c.health(at) == h)
    }
}

fn user_of(c: &Credential) -> String {
    c.username
        .clone()
        .or_else(|| c.email.clone())
        .or_else(|| c.subject.clone())
        .unwrap_or_else(|| "-".into())
}

/// The listed credentials as scripts see them, one at a time: every
/// credential of a large store without holding them.
pub fn each_listed(
    ctx: &Context,
    listing: &Listing,
    at: Timestamp,
    mut each: impl FnMut(CredentialView) -> Result<()>,
) -> Result<()> {
    ctx.credentials()?
        .each_credential_with_origins(|c, allowed| {
            if listing.wants(&c, at) {
                let mut view = CredentialView::of(&c, at);
                view.allowed_origins = allowed;
                each(view)?;
            }
            Ok(())
        })
}

/// The listed credentials as scripts see them, all at once.
pub fn listed(ctx: &Context, listing: &Listing, at: Timestamp) -> Result<Vec<CredentialView>> {
    let mut views = Vec::new();
    each_listed(ctx, listing, at, |v| {
        views.push(v);
        Ok(())
    })?;
    Ok(views)
}

/// The columns of `tokens list`'s table.
pub const TABLE_HEADER: [&str; 7] = [
    "NAME",
    "PROVIDER / SERVER",
    "USER",
    "SCOPES",
    "HEALTH",
    "EXPIRES",
    "LAST USED",
];

/// The rows of `tokens list`'s table, under [`TABLE_HEADER`].
pub fn table_rows(ctx: &Context, listing: &Listing, at: Timestamp) -> Result<Vec<Vec<String>>> {
    let mut rows = Vec::new();
    ctx.credentials()?.each_credential(|c| {
        if listing.wants(&c, at) {
            rows.push(table_row(&c, at));
        }
        Ok(())
    })?;
    Ok(rows)
}

fn list(ctx: &Context, listing: &Listing, json: bool) -> Result<()> {
    let at = now();
    if json {
        let mut out = ctx.out.json_array()?;
        each_listed(ctx, listing, at, |view| out.push(&view))?;
        return out.finish();
    }
    let rows = table_rows(ctx, listing, at)?;
    if rows.is_empty() {
        ctx.out.info(
            "No credentials saved. Log in with `mcp-auth login <provider | MCP server URL>`.",
        );
        return Ok(());
    }
    ctx.out.table(&TABLE_HEADER, rows)
}

fn table_row(c: &Credential, at: Timestamp) -> Vec<String> {
    vec![
        c.name.clone(),
        c.origin.label().to_string(),
        user_of(c),
        if c.scopes.is_empty() {
            "-".into()
        } else {
            c.scopes.join(" ")
        },
        c.health(at).as_str().to_string(),
        c.access_expires_at
            .map(|t| relative(t, at))
            .unwrap_or_else(|| "-".into()),
        c.last_used_at
            .map(|t| relative(t, at))
            .unwrap_or_else(|| "never".into()),
    ]
}

/// Everything `tokens show` shows about one credential.
#[derive(Debug, Clone)]
pub struct Shown {
    pub credential: Credential,
    /// Where the bridge may send its token ([`crate::origins`]).
    pub allowed_origins: Vec<String>,
    /// Its latest audit events, newest first.
    pub events: Vec<Event>,
}

/// How many of a credential's events `tokens show` lists.
pub const SHOWN_EVENTS: usize = 10;

/// One credential with its origins and latest `events`.
pub fn shown(ctx: &Context, name: &str, events: usize) -> Result<Shown> {
    let store = ctx.credentials()?;
    let credential = store
        .get(name)?
        .ok_or_else(|| Error::CredentialNotFound(name.to_string()))?;
    let events = store.events(Some(name), events)?;
    let allowed_origins = store
        .allowed_origins(Holder::Token, &credential.name)?
        .unwrap_or_default();
    Ok(Shown {
        credential,
        allowed_origins,
        events,
    })
}

fn show(ctx: &Context, name: &str, json: bool) -> Result<()> {
    let Shown {
        credential: c,
        allowed_origins,
        events,
    } = shown(ctx, name, SHOWN_EVENTS)?;
    let at = now();
    if json {
        #[derive(Serialize)]
        struct ShownView<'a> {
            #[serde(flatten)]
            credential: CredentialView,
            events: Vec<EventView<'a>>,
        }
        #[derive(Serialize)]
        struct EventView<'a> {
            at: String,
            kind: &'a str,
            detail: Option<&'a str>,
        }
        let mut credential = CredentialView::of(&c, at);
        credential.allowed_origins = allowed_origins;
        return ctx.out.json(&ShownView {
            credential,
            events: events
                .iter()
                .map(|e| EventView {
                    at: rfc3339(e.at),
                    kind: &e.kind,
                    detail: e.detail.as_deref(),
                })
                .collect(),
        });
    }
    let when = |t: Option<Timestamp>| match t {
        Some(t) => format!("{} ({})", rfc3339(t), relative(t, at)),
        None => "-".into(),
    };
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let mut fields = vec![
        ("name", c.name.clone()),
        (
            match c.origin {
                crate::model::Origin::Provider { .. } => "provider",
                crate::model::Origin::McpServer { .. } => "server",
            },
            c.origin.label().to_string(),
        ),
        (
            "origins",
            match allowed_origins {
                o if o.is_empty() => format!(
                    "none (the bridge sends it nowhere; allow with `mcp-auth tokens allow {} URL`)",
                    c.name
                ),
                o => o.join(" "),
            },
        ),
        ("user", user_of(&c)),
        ("email", opt(&c.email)),
        ("subject", opt(&c.subject)),
        ("health", c.health(at).as_str().to_string()),
        (
            "scopes",
            if c.scopes.is_empty() {
                "-".into()
            } else {
                c.scopes.join(" ")
            },
        ),
        ("expires", when(c.access_expires_at)),
        (
            "refresh token",
            match (c.has_refresh_token, c.refresh_expires_at) {
                (false, _) => "none".into(),
                (true, None) => "yes".into(),
                (true, Some(t)) => format!("yes, expires {}", when(Some(t))),
            },
        ),
        ("grant", c.grant.as_str().to_string()),
        ("client id", c.client_id.clone()),
        ("client auth", c.auth_method.as_str().to_string()),
        ("issuer", opt(&c.issuer)),
        ("resource", opt(&c.resource)),
        ("token endpoint", c.token_url.clone()),
        ("revocation", opt(&c.revocation_url)),
        ("created", when(Some(c.created_at))),
        ("last used", when(c.last_used_at)),
        ("last refreshed", when(c.last_refreshed_at)),
    ];
    if let Some(e) = &c.last_error {
        fields.push(("last error", e.clone()));
    }
    ctx.out.fields(&fields)?;
    if !events.is_empty() {
        let mut lines = vec![String::new(), "Recent events:".to_string()];
        for e in &events {
            lines.push(format!(
                "  {}  {:<14} {}",
                rfc3339(e.at),
                e.kind,
                e.detail.as_deref().unwrap_or("")
            ));
        }
        ctx.out.line(&lines.join("\n"))?;
    }
    Ok(())
}

/// The outcome for one credential of a bulk command.
#[derive(Debug, Serialize)]
pub struct BulkResult {
    pub name: String,
    pub ok: bool,
    pub message: String,
}

/// Which credentials a revoke takes.
pub enum Selection<'a> {
    /// These, each of which must exist.
    Named(&'a [String]),
    /// Every credential, narrowed to one provider's and to those expired or
    /// needing a login when asked.
    Every {
        provider: Option<&'a str>,
        expired: bool,
    },
}

/// What a revoke needs, settled before it runs (`tokens revoke` and
/// `logout` both build one).
pub struct Revoke<'a> {
    pub selection: Selection<'a>,
    /// Skip the confirmation a bulk revoke asks for.
    pub yes: bool,
    /// Only delete here; do not call the provider's revocation endpoint.
    pub local_only: bool,
    pub json: bool,
}

impl Revoke<'_> {
    /// `tokens revoke`'s flags.
    fn from_args(args: &RevokeArgs) -> Revoke<'_> {
        let bulk = args.all || args.provider.is_some() || args.expired;
        let selection = if bulk {
            Selection::Every {
                provider: args.provider.as_deref(),
                expired: args.expired,
            }
        } else {
            Selection::Named(&args.names)
        };
        Revoke {
            selection,
            yes: args.yes,
            local_only: args.local_only,
            json: args.json,
        }
    }
}

/// The credentials a selection takes; a named one that does not exist is
/// an error.
pub fn revoke_targets(ctx: &Context, selection: &Selection<'_>) -> Result<Vec<Credential>> {
    let at = now();
    let all = ctx.credentials()?.list()?;
    Ok(match *selection {
        Selection::Every { provider, expired } => all
            .into_iter()
            .filter(|c| provider.is_none_or(|p| c.origin.label() == p))
            .filter(|c| !expired || c.health(at).is_problem())
            .collect(),
        Selection::Named(names) => {
            let mut out = Vec::new();
            for name in names {
                match all.iter().find(|c| &c.name == name) {
                    Some(c) => out.push(c.clone()),
                    None => return Err(Error::CredentialNotFound(name.clone())),
                }
            }
            out
        }
    })
}

/// Revokes the selected credentials, asking first when more than the named
/// ones are taken (unless `yes`).
pub async fn revoke(ctx: &Context, args: Revoke<'_>) -> Result<()> {
    let targets = revoke_targets(ctx, &args.selection)?;
    let bulk = matches!(args.selection, Selection::Every { .. });
    if targets.is_empty() {
        ctx.out.info("Nothing to revoke.");
        return if args.json {
            ctx.out.json(&Vec::<BulkResult>::new())
        } else {
            Ok(())
        };
    }
    if bulk && !args.yes {
        let names: Vec<_> = targets.iter().map(|c| c.name.as_str()).collect();
        let question = format!(
            "Revoke {} credential(s): {}?",
            targets.len(),
            names.join(", ")
        );
        if !ctx.out.confirm(&question, false)? {
            return Err(Error::Usage("revocation cancelled".into()));
        }
    }
    let outcomes = revoke_each(ctx, &targets, args.local_only).await;
    report_outcomes(ctx, &outcomes, args.json, "revoke")
}

/// Revokes each of `targets`, one outcome each.
pub async fn revoke_each(
    ctx: &Context,
    targets: &[Credential],
    local_only: bool,
) -> Vec<BulkResult> {
    let mut outcomes = Vec::new();
    for c in targets {
        let outcome = match revoke_one(ctx, c, local_only).await {
            Ok(message) => BulkResult {
                name: c.name.clone(),
                ok: true,
                message,
            },
            Err(e) => BulkResult {
                name: c.name.clone(),
                ok: false,
                message: e.to_string(),
            },
        };
        outcomes.push(outcome);
    }
    outcomes
}

/// Revokes at the provider (unless local only), then deletes here: how the
/// provider revokes is its template's business, the rest the credentials'.
pub async fn revoke_one(ctx: &Context, c: &Credential, local_only: bool) -> Result<String> {
    let method = match &c.origin {
        Origin::Provider { provider } => providers::template_of(provider, &ctx.config)
            .map(|t| t.revocation)
            .filter(|r| *r != Revocation::Unsupported)
            .unwrap_or(Revocation::Rfc7009),
        Origin::McpServer { .. } => Revocation::Rfc7009,
    };
    ctx.credentials()?.revoke(c, method, local_only).await
}

/// Which credentials `tokens refresh` renews.
pub enum RefreshSelection {
    Named(Vec<String>),
    /// Every renewable credential that does not need a login.
    Renewable,
}

async fn refresh(ctx: &Context, selection: RefreshSelection, json: bool) -> Result<()> {
    let outcomes = refresh_each(ctx, selection).await?;
    report_outcomes(ctx, &outcomes, json, "refresh")
}

/// Refreshes the selected credentials now, one outcome each.
pub async fn refresh_each(ctx: &Context, selection: RefreshSelection) -> Result<Vec<BulkResult>> {
    let creds = ctx.credentials()?;
    let names: Vec<String> = match selection {
        RefreshSelection::Renewable => ctx
            .credentials()?
            .list()?
            .into_iter()
            .filter(|c| c.renewable() && c.health(now()) != Health::NeedsLogin)
            .map(|c| c.name)
            .collect(),
        RefreshSelection::Named(names) => names,
    };
    let mut outcomes = Vec::new();
    for name in names {
        outcomes.push(refresh_one(&creds, name).await?);
    }
    Ok(outcomes)
}

/// Refreshes `name` now, whether or not it is due, and says how that went.
/// Err only when storage cannot be read at all.
async fn refresh_one(creds: &Credentials, name: String) -> Result<BulkResult> {
    // Nothing to renew and nothing that runs out: say so, truthfully.
    if let Some(c) = creds.get(&name)?
        && !c.renewable()
        && c.access_expires_at.is_none()
        && c.status != crate::model::Status::NeedsLogin
    {
        return Ok(BulkResult {
            name,
            ok: true,
            message: "its token does not expire and the provider issues no refresh token \
                      for it: nothing to refresh"
                .into(),
        });
    }
    Ok(match creds.refresh(&name, true).await {
        Ok(r) if r.performed => BulkResult {
            name,
            ok: true,
            message: match r.token.expires_at {
                Some(t) => format!("refreshed; expires {}", relative(t, now())),
                None => "refreshed".into(),
            },
        },
        Ok(r) => BulkResult {
            name,
            ok: r.failure.is_none(),
            message: match r.failure {
                Some(f) => format!("{f}; the current token stays in use until it expires"),
                None => "already refreshed by another process".into(),
            },
        },
        Err(e) => BulkResult {
            name,
            ok: false,
            message: e.to_string(),
        },
    })
}

/// `tokens refresh NAME --scope S`: the one credential and the scopes to
/// add to its own.
pub struct StepUp {
    pub name: String,
    pub scopes: Vec<String>,
    pub no_browser: bool,
}

impl StepUp {
    fn from_args(names: &[String], scopes: &[String], no_browser: bool) -> Result<StepUp> {
        let [name] = names else {
            return Err(Error::Usage(
                "--scope asks for more scopes for one credential: give exactly one NAME".into(),
            ));
        };
        Ok(StepUp {
            name: name.clone(),
            scopes: providers::split_scopes(scopes),
            no_browser,
        })
    }
}

/// A new login for the credential's scopes plus the ones asked for, saved
/// under the same name.
async fn step_up(ctx: &Context, step: &StepUp, json: bool) -> Result<()> {
    let name = &step.name;
    let c = ctx
        .credentials()?
        .get(name)?
        .ok_or_else(|| Error::CredentialNotFound(name.clone()))?;
    let mut union = c.scopes.clone();
    for s in &step.scopes {
        if !union.contains(s) {
            union.push(s.clone());
        }
    }
    login_again(ctx, &c, union, step.no_browser, json).await
}

/// A new login for credential `c` with `scopes`, saved under its name: the
/// same login `mcp-auth login` runs for its provider or server.
pub async fn login_again(
    ctx: &Context,
    c: &Credential,
    scopes: Vec<String>,
    no_browser: bool,
    json: bool,
) -> Result<()> {
    let union = scopes;
    let args = crate::cli::LoginArgs {
        target: match &c.origin {
            Origin::Provider { provider } => provider.clone(),
            Origin::McpServer { server_url } => server_url.clone(),
        },
        name: Some(c.name.clone()),
        client: crate::cli::ClientArgs {
            scopes: union,
            // A provider's client id may have been a flag; an MCP server's
            // comes from its stored registration.
            client_id: matches!(c.origin, Origin::Provider { .. }).then(|| c.client_id.clone()),
            ..Default::default()
        },
        template: Default::default(),
        device: false,
        paste: false,
        port: None,
        no_browser,
        timeout: None,
        json,
    };
    match &c.origin {
        Origin::Provider { .. } => {
            let p = super::login::resolve(ctx, &args.target, &args)?;
            // Template parameters given as flags at login are not stored:
            // a provider that resolves elsewhere now is not this one.
            if p.token_url != c.token_url {
                return Err(Error::Usage(format!(
                    "'{}' was logged in to {} with template parameters that are not in \
                     config.toml; log in again with them and the scopes: `mcp-auth login {} \
                     --name {} --scope ...`",
                    c.name, c.token_url, args.target, c.name
                )));
            }
            super::login::login_provider(ctx, &args, p).await
        }
        Origin::McpServer { .. } => super::login::run(ctx, &args).await,
    }
}

fn report_outcomes(ctx: &Context, outcomes: &[BulkResult], json: bool, verb: &str) -> Result<()> {
    if json {
        ctx.out.json(outcomes)?;
    } else {
        for o in outcomes {
            if o.ok {
                ctx.out.line(&format!("{}: {}", o.name, o.message))?;
            } else {
                ctx.out.problem(&format!("{}: {}", o.name, o.message));
            }
        }
    }
    let failed = outcomes.iter().filter(|o| !o.ok).count();
    if failed > 0 {
        return Err(Error::Other(format!(
            "{failed} of {} credential(s) failed to {verb}",
            outcomes.len()
        )));
    }
    Ok(())
}

/// What `tokens prune` deletes: credentials dead for more than
/// `retention_days` (the flag, else the config's), and audit events as old.
pub struct Prune {
    pub retention_days: u32,
    /// Only count what would go.
    pub dry_run: bool,
}

/// Prunes (or, dry, counts what would go), handing each deleted
/// credential's name to `each_deleted` as it goes: a prune of a million
/// credentials holds none of their names unless the caller keeps them.
pub fn prune(
    ctx: &Context,
    prune: &Prune,
    each_deleted: impl FnMut(&str) -> Result<()>,
) -> Result<PruneReport> {
    let report =
        ctx.credentials()?
            .prune(now(), prune.retention_days, prune.dry_run, each_deleted)?;
    tracing::info!(
        examined = report.examined,
        deleted = report.deleted,
        events_deleted = report.events_deleted,
        duration_ms = report.duration_ms,
        "prune"
    );
    Ok(report)
}

/// What a prune would delete, without deleting it: the report and the
/// first `names` names.
pub fn prune_preview(
    ctx: &Context,
    retention_days: u32,
    names: usize,
) -> Result<(PruneReport, Vec<String>)> {
    let mut first = Vec::new();
    let report = prune(
        ctx,
        &Prune {
            retention_days,
            dry_run: true,
        },
        |name| {
            if first.len() < names {
                first.push(name.to_string());
            }
            Ok(())
        },
    )?;
    Ok((report, first))
}

fn prune_cmd(ctx: &Context, settings: &Prune, json: bool) -> Result<()> {
    let (days, dry_run) = (settings.retention_days, settings.dry_run);
    // The names are streamed: a prune of a million credentials prints a
    // million of them with `--json` and holds none.
    if json {
        let mut out = ctx.out.json_object_with_array("deleted")?;
        let report = prune(ctx, settings, |name| out.push(name))?;
        return out.finish_object(&report);
    }
    let mut first = Vec::new();
    let report = prune(ctx, settings, |name| {
        if first.len() < LISTED_NAMES {
            first.push(name.to_string());
        }
        Ok(())
    })?;
    let verb = if dry_run { "Would delete" } else { "Deleted" };
    let mut text = format!(
        "{verb} {} of {} credential(s) dead for more than {days} days",
        report.deleted, report.examined
    );
    if report.deleted > 0 {
        text.push_str(&format!(": {}", name_list(&first, report.deleted)));
    }
    if !dry_run {
        text.push_str(&format!(
            "; {} audit event(s) older than {days} days removed",
            report.events_deleted
        ));
    }
    ctx.out.line(&format!("{text}."))
}

/// How many names a sentence lists before it summarises the rest.
const LISTED_NAMES: usize = 10;

/// `a, b, c`, or the first [`LISTED_NAMES`] of `total` and how many more
/// (`--json` has them all): a prune of a million credentials is one
/// readable line.
fn name_list(first: &[String], total: usize) -> String {
    let shown = &first[..first.len().min(LISTED_NAMES)];
    if total <= shown.len() {
        return shown.join(", ");
    }
    format!(
        "{} and {} more (--json lists them all)",
        shown.join(", "),
        total - shown.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_name_lists_are_summarised() {
        let names = |n: usize| (0..n).map(|i| format!("c{i}")).collect::<Vec<_>>();
        assert_eq!(name_list(&names(1), 1), "c0");
        assert_eq!(name_list(&names(10), 10), names(10).join(", "));
        let long = name_list(&names(10), 1_000_000);
        assert_eq!(
            long,
            "c0, c1, c2, c3, c4, c5, c6, c7, c8, c9 and 999990 more (--json lists them all)"
        );
    }
}
