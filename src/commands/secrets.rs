//! `mcp-auth secrets set | list | delete`: static secrets (API keys) in the
//! secret store, metadata in the database. Values never go on the command
//! line or to stdout.

use std::io::{IsTerminal, Read};

use serde::Serialize;

use crate::cli::SecretsCommand;
use crate::commands::{Context, OriginChange};
use crate::config::parse_duration;
use crate::credentials::{Holder, NewSecret, SecretMeta, validate_name};
use crate::error::{Error, Result};
use crate::model::{Health, Secret, Timestamp, now, relative, rfc3339};
use crate::origins;
use crate::task::blocking;

/// A secret expiring within this many seconds is "expiring soon": keys
/// are rotated by people, who need days, not minutes, of warning.
const EXPIRING_SOON_SECS: i64 = 7 * 86_400;

pub async fn run(ctx: &Context, cmd: SecretsCommand) -> Result<()> {
    match cmd {
        SecretsCommand::Set {
            name,
            expires,
            note,
            origins,
            json,
        } => {
            let at = now();
            let new = new_secret(name, expires.as_deref(), note, &origins, at)?;
            set(ctx, new, at, json).await
        }
        SecretsCommand::Allow { name, url, json } => super::allow_origin(
            ctx,
            &OriginChange {
                holder: Holder::Secret,
                name: &name,
                url: &url,
                allow: true,
            },
            json,
        ),
        SecretsCommand::Disallow { name, url, json } => super::allow_origin(
            ctx,
            &OriginChange {
                holder: Holder::Secret,
                name: &name,
                url: &url,
                allow: false,
            },
            json,
        ),
        SecretsCommand::List { json } => list(ctx, json),
        SecretsCommand::Delete { names, json } => delete(ctx, names, json).await,
    }
}

/// `secrets set`'s flags as the secret to store: the name checked, the
/// origins and the expiry (against `at`, and not past) parsed.
fn new_secret(
    name: String,
    expires: Option<&str>,
    note: Option<String>,
    origins: &[String],
    at: Timestamp,
) -> Result<NewSecret> {
    validate_name(&name)?;
    let origins = origins
        .iter()
        .map(|o| origins::origin_of(o).map_err(|e| Error::Usage(format!("--origin: {e}"))))
        .collect::<Result<Vec<_>>>()?;
    let expires_at = expires.map(|e| parse_expiry(e, at)).transpose()?;
    if expires_at.is_some_and(|t| t <= at) {
        return Err(Error::Usage("--expires is in the past".into()));
    }
    Ok(NewSecret {
        name,
        note,
        expires_at,
        origins,
    })
}

/// `90d`, `12h`, or a date `2027-01-31` (end of that day, UTC), or an
/// RFC 3339 time.
pub(crate) fn parse_expiry(s: &str, at: Timestamp) -> Result<Timestamp> {
    if let Ok(d) = parse_duration(s) {
        return Ok(at + d.as_secs() as i64);
    }
    let stamp = if s.len() == 10 {
        format!("{s}T23:59:59Z")
    } else {
        s.to_string()
    };
    humantime::parse_rfc3339_weak(&stamp)
        .map(|t| {
            t.duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        })
        .map_err(|_| {
            Error::Usage(format!(
                "--expires {s:?} is neither a duration (90d) nor a date (2027-01-31)"
            ))
        })
}

pub(crate) fn read_value() -> Result<Secret> {
    let stdin = std::io::stdin();
    let value = if stdin.is_terminal() {
        rpassword::prompt_password("Value (input hidden): ")
            .map_err(|e| Error::io("cannot read the value", e))?
    } else {
        let mut buf = String::new();
        stdin
            .lock()
            .take(1024 * 1024)
            .read_to_string(&mut buf)
            .map_err(|e| Error::io("cannot read the value from stdin", e))?;
        // One trailing newline is the shell's, not the secret's.
        buf.strip_suffix("\r\n")
            .or_else(|| buf.strip_suffix('\n'))
            .unwrap_or(&buf)
            .to_string()
    };
    if value.is_empty() {
        return Err(Error::Usage(
            "the value is empty; pipe it in or type it at the prompt".into(),
        ));
    }
    Ok(Secret::new(value))
}

/// Stores `value` as `new` says; returns whether a secret of that name was
/// replaced and the origins it is now allowed. A new value keeps the
/// origins allowed before, plus those given.
pub async fn store_secret(
    ctx: &Context,
    new: NewSecret,
    value: Secret,
    at: Timestamp,
) -> Result<(bool, Vec<String>)> {
    let creds = ctx.credentials()?;
    blocking(move || creds.save_user_secret(new, &value, at)).await
}

async fn set(ctx: &Context, new: NewSecret, at: Timestamp, json: bool) -> Result<()> {
    let value = read_value()?;
    let (name, expires_at) = (new.name.clone(), new.expires_at);
    let (replaced, allowed) = store_secret(ctx, new, value, at).await?;
    if json {
        #[derive(Serialize)]
        struct Stored {
            name: String,
            replaced: bool,
            expires_at: Option<String>,
            allowed_origins: Vec<String>,
        }
        return ctx.out.json(&Stored {
            name,
            replaced,
            expires_at: expires_at.map(rfc3339),
            allowed_origins: allowed,
        });
    }
    let verb = if replaced { "Replaced" } else { "Stored" };
    let until = expires_at
        .map(|t| format!(", expires {}", relative(t, at)))
        .unwrap_or_default();
    ctx.out.info(&format!(
        "{verb} secret '{name}'{until}. Use it with: mcp-auth bridge URL --header 'Authorization: Bearer {{secret:{name}}}'"
    ));
    if allowed.is_empty() {
        ctx.out.info(&format!(
            "The bridge sends it to no server yet: allow one with `mcp-auth secrets allow {name} URL`."
        ));
    } else {
        ctx.out.info(&format!(
            "The bridge may send it to: {}",
            allowed.join(", ")
        ));
    }
    Ok(())
}

fn health(m: &SecretMeta, at: Timestamp) -> Health {
    match m.expires_at {
        Some(t) if t <= at => Health::Expired,
        Some(t) if t <= at + EXPIRING_SOON_SECS => Health::ExpiringSoon,
        _ => Health::Valid,
    }
}

/// A stored secret as `secrets list` shows it: never its value.
#[derive(Debug, Clone)]
pub struct ListedSecret {
    pub meta: SecretMeta,
    pub health: Health,
    /// Where the bridge may send it.
    pub allowed_origins: Vec<String>,
}

/// Every stored secret with its health at `at` and its origins.
pub fn listed(ctx: &Context, at: Timestamp) -> Result<Vec<ListedSecret>> {
    let store = ctx.credentials()?;
    store
        .secret_metas()?
        .into_iter()
        .map(|meta| {
            let allowed_origins = store
                .allowed_origins(Holder::Secret, &meta.name)?
                .unwrap_or_default();
            Ok(ListedSecret {
                health: health(&meta, at),
                meta,
                allowed_origins,
            })
        })
        .collect()
}

/// A secret as scripts see it (`secrets list --json`).
#[derive(Serialize)]
pub struct SecretView {
    name: String,
    health: Health,
    created_at: String,
    updated_at: String,
    expires_at: Option<String>,
    last_used_at: Option<String>,
    note: Option<String>,
    allowed_origins: Vec<String>,
}

impl SecretView {
    pub fn of(s: &ListedSecret) -> SecretView {
        let m = &s.meta;
        SecretView {
            name: m.name.clone(),
            health: s.health,
            created_at: rfc3339(m.created_at),
            updated_at: rfc3339(m.updated_at),
            expires_at: m.expires_at.map(rfc3339),
            last_used_at: m.last_used_at.map(rfc3339),
            note: m.note.clone(),
            allowed_origins: s.allowed_origins.clone(),
        }
    }
}

fn list(ctx: &Context, json: bool) -> Result<()> {
    let at = now();
    let secrets = listed(ctx, at)?;
    if json {
        let views: Vec<SecretView> = secrets.iter().map(SecretView::of).collect();
        return ctx.out.json(&views);
    }
    if secrets.is_empty() {
        ctx.out
            .info("No secrets stored. Add one with `mcp-auth secrets set NAME`.");
        return Ok(());
    }
    let rows = secrets
        .iter()
        .map(|s| {
            let m = &s.meta;
            vec![
                m.name.clone(),
                s.health.as_str().to_string(),
                m.expires_at
                    .map(|t| relative(t, at))
                    .unwrap_or_else(|| "never".into()),
                m.last_used_at
                    .map(|t| relative(t, at))
                    .unwrap_or_else(|| "never".into()),
                relative(m.updated_at, at),
                match &s.allowed_origins {
                    o if o.is_empty() => "none".to_string(),
                    o => o.join(" "),
                },
                m.note.clone().unwrap_or_default(),
            ]
        })
        .collect();
    ctx.out.table(
        &[
            "NAME",
            "HEALTH",
            "EXPIRES",
            "LAST USED",
            "UPDATED",
            "ORIGINS",
            "NOTE",
        ],
        rows,
    )
}

/// Whether `secrets delete` found a secret to delete.
#[derive(Debug, Serialize)]
pub struct Deleted {
    pub name: String,
    pub deleted: bool,
}

/// Deletes each named secret, telling `each` as it goes.
pub async fn delete_each(
    ctx: &Context,
    names: Vec<String>,
    mut each: impl FnMut(&Deleted) -> Result<()>,
) -> Result<Vec<Deleted>> {
    let store = ctx.credentials()?;
    let mut outcomes = Vec::new();
    for name in names {
        let s = store.clone();
        let n = name.clone();
        let deleted = blocking(move || s.delete_user_secret(&n)).await?;
        let outcome = Deleted { name, deleted };
        each(&outcome)?;
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

async fn delete(ctx: &Context, names: Vec<String>, json: bool) -> Result<()> {
    let outcomes = delete_each(ctx, names, |o| {
        if o.deleted && !json {
            ctx.out.line(&format!("{}: deleted", o.name))?;
        }
        Ok(())
    })
    .await?;
    if json {
        ctx.out.json(&outcomes)?;
    }
    let missing: Vec<String> = outcomes
        .into_iter()
        .filter(|o| !o.deleted)
        .map(|o| o.name)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        // The same exit code as an unknown credential (4).
        Err(Error::SecretNotFound(missing.join("', '")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_takes_durations_and_dates() {
        assert_eq!(parse_expiry("90d", 0).unwrap(), 90 * 86_400);
        assert_eq!(parse_expiry("1970-01-02", 0).unwrap(), 86_400 + 86_399);
        assert!(parse_expiry("someday", 0).is_err());
    }
}
