//! `mcp-auth secrets set | list | delete`: static secrets (API keys) in the
//! secret store, metadata in the database. Values never go on the command
//! line or to stdout.

use std::io::{IsTerminal, Read};

use serde::Serialize;

use crate::cli::SecretsCommand;
use crate::commands::Context;
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
        } => set(ctx, name, expires, note, origins, json).await,
        SecretsCommand::Allow { name, url, json } => {
            super::allow_origin(ctx, Holder::Secret, &name, &url, true, json)
        }
        SecretsCommand::Disallow { name, url, json } => {
            super::allow_origin(ctx, Holder::Secret, &name, &url, false, json)
        }
        SecretsCommand::List { json } => list(ctx, json),
        SecretsCommand::Delete { names, json } => delete(ctx, names, json).await,
    }
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

async fn set(
    ctx: &Context,
    name: String,
    expires: Option<String>,
    note: Option<String>,
    origins: Vec<String>,
    json: bool,
) -> Result<()> {
    validate_name(&name)?;
    let origins = origins
        .iter()
        .map(|o| origins::origin_of(o).map_err(|e| Error::Usage(format!("--origin: {e}"))))
        .collect::<Result<Vec<_>>>()?;
    let at = now();
    let expires_at = expires
        .as_deref()
        .map(|e| parse_expiry(e, at))
        .transpose()?;
    if expires_at.is_some_and(|t| t <= at) {
        return Err(Error::Usage("--expires is in the past".into()));
    }
    let value = read_value()?;
    let creds = ctx.credentials()?;
    let new = NewSecret {
        name: name.clone(),
        note,
        expires_at,
        origins,
    };
    // A new value keeps the origins allowed before, plus those given.
    let replaced = blocking(move || creds.save_user_secret(new, &value, at)).await?;
    let (replaced, allowed) = replaced;
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

#[derive(Serialize)]
struct View {
    name: String,
    health: Health,
    created_at: String,
    updated_at: String,
    expires_at: Option<String>,
    last_used_at: Option<String>,
    note: Option<String>,
    allowed_origins: Vec<String>,
}

fn list(ctx: &Context, json: bool) -> Result<()> {
    let at = now();
    let store = ctx.credentials()?;
    let metas = store.secret_metas()?;
    let origins_of = |name: &str| -> Result<Vec<String>> {
        Ok(store
            .allowed_origins(Holder::Secret, name)?
            .unwrap_or_default())
    };
    if json {
        let views: Vec<View> = metas
            .iter()
            .map(|m| -> Result<View> {
                Ok(View {
                    name: m.name.clone(),
                    health: health(m, at),
                    created_at: rfc3339(m.created_at),
                    updated_at: rfc3339(m.updated_at),
                    expires_at: m.expires_at.map(rfc3339),
                    last_used_at: m.last_used_at.map(rfc3339),
                    note: m.note.clone(),
                    allowed_origins: origins_of(&m.name)?,
                })
            })
            .collect::<Result<_>>()?;
        return ctx.out.json(&views);
    }
    if metas.is_empty() {
        ctx.out
            .info("No secrets stored. Add one with `mcp-auth secrets set NAME`.");
        return Ok(());
    }
    let rows = metas
        .iter()
        .map(|m| {
            Ok(vec![
                m.name.clone(),
                health(m, at).as_str().to_string(),
                m.expires_at
                    .map(|t| relative(t, at))
                    .unwrap_or_else(|| "never".into()),
                m.last_used_at
                    .map(|t| relative(t, at))
                    .unwrap_or_else(|| "never".into()),
                relative(m.updated_at, at),
                match origins_of(&m.name)? {
                    o if o.is_empty() => "none".to_string(),
                    o => o.join(" "),
                },
                m.note.clone().unwrap_or_default(),
            ])
        })
        .collect::<Result<_>>()?;
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

async fn delete(ctx: &Context, names: Vec<String>, json: bool) -> Result<()> {
    #[derive(Serialize)]
    struct Deleted {
        name: String,
        deleted: bool,
    }
    let store = ctx.credentials()?;
    let mut outcomes = Vec::new();
    for name in names {
        let s = store.clone();
        let n = name.clone();
        let deleted = blocking(move || s.delete_user_secret(&n)).await?;
        if deleted && !json {
            ctx.out.line(&format!("{name}: deleted"))?;
        }
        outcomes.push(Deleted { name, deleted });
    }
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
