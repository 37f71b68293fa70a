//! `mcp-auth clients add | list | remove`: MCP hosts connected to remote
//! servers through `mcp-auth bridge`, without hand-editing JSON (see
//! [`crate::hosts`] for where each host keeps its servers and how a file
//! is merged). Claude Code is changed through its own CLI (`claude mcp add`
//! and `remove`), the others by merging their files.

use std::path::{Path, PathBuf};

use clap::Parser;
use serde::Serialize;

use crate::cli::{ClaudeScope, ClientsAddArgs, ClientsCommand, ClientsRemoveArgs, HostArg};
use crate::commands::Context;
use crate::error::{Error, Result};
use crate::hosts::{self, Change, Host, HostFile, Removal};
use crate::model::now;

pub async fn run(ctx: &Context, cmd: ClientsCommand) -> Result<()> {
    match cmd {
        ClientsCommand::Add(args) => add(ctx, &AddServer::from_args(&args)?).await,
        ClientsCommand::List { json } => list(ctx, json),
        ClientsCommand::Remove(args) => remove(ctx, &RemoveServer::from_args(&args)?).await,
    }
}

/// `clients add`: the server to write into a host's configuration, checked.
pub struct AddServer {
    pub host: Host,
    /// The server's name in the host.
    pub name: String,
    /// The file (or Claude Code scope) it goes to.
    pub file: HostFile,
    /// This binary's absolute path.
    pub command: String,
    /// The bridge's arguments, checked as the bridge will parse them.
    pub bridge: Vec<String>,
    /// The first `--header` whose value is written as is, if any.
    pub literal_header: Option<String>,
}

impl AddServer {
    fn from_args(args: &ClientsAddArgs) -> Result<AddServer> {
        let host = host_of(args.host);
        check_name(&args.name)?;
        Ok(AddServer {
            host,
            name: args.name.clone(),
            file: target(host, args.scope, args.project)?,
            command: this_binary()?,
            bridge: bridge_args(&args.url, &args.bridge_args)?,
            literal_header: literal_header(&args.bridge_args),
        })
    }
}

/// `clients remove`: the server and the file (or scope) it goes from.
pub struct RemoveServer {
    pub host: Host,
    pub name: String,
    pub file: HostFile,
}

impl RemoveServer {
    fn from_args(args: &ClientsRemoveArgs) -> Result<RemoveServer> {
        let host = host_of(args.host);
        Ok(RemoveServer {
            host,
            name: args.name.clone(),
            file: target(host, args.scope, args.project)?,
        })
    }
}

fn host_of(h: HostArg) -> Host {
    match h {
        HostArg::ClaudeCode => Host::ClaudeCode,
        HostArg::ClaudeDesktop => Host::ClaudeDesktop,
        HostArg::Cursor => Host::Cursor,
        HostArg::Vscode => Host::Vscode,
    }
}

fn scope_name(s: ClaudeScope) -> &'static str {
    match s {
        ClaudeScope::Local => "local",
        ClaudeScope::Project => "project",
        ClaudeScope::User => "user",
    }
}

/// The file a change goes to: `--scope` for Claude Code (default user),
/// `--project` for Cursor and VS Code.
fn target(host: Host, scope: Option<ClaudeScope>, project: bool) -> Result<HostFile> {
    let scope = match host {
        Host::ClaudeCode => {
            if project {
                return Err(Error::Usage(
                    "claude-code takes --scope project (or local, user), not --project".into(),
                ));
            }
            scope.map_or("user", scope_name)
        }
        _ if scope.is_some() => {
            return Err(Error::Usage(format!(
                "--scope is for claude-code; {} takes --project for the project's file",
                host.as_str()
            )));
        }
        _ if project => "project",
        _ => "user",
    };
    hosts::file(host, scope, &cwd()?)
}

fn cwd() -> Result<PathBuf> {
    std::env::current_dir().map_err(|e| Error::io("cannot read the current directory", e))
}

/// This binary's absolute path: hosts start servers without the shell's
/// PATH (Claude Desktop on macOS), so `mcp-auth` alone may not be found.
fn this_binary() -> Result<String> {
    let exe = std::env::current_exe()
        .map_err(|e| Error::io("cannot find the path of this program", e))?;
    let exe = exe.canonicalize().unwrap_or(exe);
    exe.to_str().map(str::to_string).ok_or_else(|| {
        Error::Usage(format!(
            "the path of this program ({}) is not valid UTF-8; hosts cannot run it",
            exe.display()
        ))
    })
}

/// The bridge's arguments, checked as the bridge will parse them.
fn bridge_args(url: &str, extra: &[String]) -> Result<Vec<String>> {
    let url = url.trim();
    crate::mcp::canonical_server_url(url)?;
    let mut args = vec!["bridge".to_string(), url.to_string()];
    args.extend(extra.iter().cloned());
    let argv = std::iter::once("mcp-auth".to_string()).chain(args.iter().cloned());
    if let Err(e) = crate::cli::Cli::try_parse_from(argv) {
        let text = e.render().to_string();
        let first = text.lines().next().unwrap_or("invalid bridge flags").trim();
        return Err(Error::Usage(format!(
            "the bridge flags after `--` are not valid: {}",
            first.trim_start_matches("error: ")
        )));
    }
    Ok(args)
}

/// The name of the first `--header` whose value is written as is (neither
/// `{secret:NAME}` nor `${VAR}`): a secret in a host's file otherwise.
fn literal_header(bridge_args: &[String]) -> Option<String> {
    let mut values = Vec::new();
    let mut it = bridge_args.iter();
    while let Some(a) = it.next() {
        if a == "--header" || a == "-H" {
            values.extend(it.next().cloned());
        } else if let Some(v) = a.strip_prefix("--header=") {
            values.push(v.to_string());
        }
    }
    values.into_iter().find_map(|h| {
        let (name, value) = h.split_once(':')?;
        (!value.contains("{secret:") && !value.contains("${")).then(|| name.trim().to_string())
    })
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 100 || name.chars().any(|c| c.is_control()) {
        return Err(Error::Usage(format!(
            "{name:?} is not a usable server name (1 to 100 printable characters)"
        )));
    }
    Ok(())
}

/// What [`add_server`] did.
pub struct Added {
    pub change: Change,
    /// Where the file was before the change, if it existed.
    pub backup: Option<PathBuf>,
    /// The server's URL, when no credential is saved for it yet.
    pub not_logged_in: Option<String>,
}

/// Writes the server into the host's configuration.
pub async fn add_server(ctx: &Context, add: &AddServer) -> Result<Added> {
    let (host, f) = (add.host, &add.file);
    let (change, backup) = if host == Host::ClaudeCode {
        claude_add(f, &add.name, &add.command, &add.bridge).await?
    } else {
        hosts::upsert(f, &add.name, hosts::entry(host, &add.command, &add.bridge))?
    };
    let entry = hosts::bridge_of(&hosts::entry(host, &add.command, &add.bridge));
    let not_logged_in = entry
        .filter(|e| credential_health(ctx, e).is_none())
        .map(|e| e.url);
    Ok(Added {
        change,
        backup,
        not_logged_in,
    })
}

async fn add(ctx: &Context, add: &AddServer) -> Result<()> {
    let (host, f, command) = (add.host, &add.file, &add.command);
    if let Some(h) = &add.literal_header {
        ctx.out.warn(&format!(
            "the value of --header '{h}: …' will be written into {} in plain text; keep it in \
             the keyring instead (`mcp-auth secrets set NAME`, then '{h}: {{secret:NAME}}')",
            f.path.display()
        ));
    }
    let Added {
        change,
        backup,
        not_logged_in,
    } = add_server(ctx, add).await?;
    let what = match change {
        Change::Added => "Added",
        Change::Updated => "Updated",
        Change::Unchanged => "Already configured:",
    };
    let mut text = format!(
        "{what} '{}' in {} ({} scope, {}): {command} {}",
        add.name,
        host.title(),
        f.scope,
        f.path.display(),
        shell_words::join(&add.bridge)
    );
    if let Some(b) = backup {
        text.push_str(&format!("\nThe previous file is kept as {}.", b.display()));
    }
    if change != Change::Unchanged {
        text.push_str(match host {
            Host::ClaudeDesktop => "\nRestart Claude Desktop to pick it up.",
            Host::Cursor | Host::Vscode => {
                "\nThe host picks it up when it reloads its MCP servers."
            }
            Host::ClaudeCode => "",
        });
    }
    if let Some(url) = not_logged_in {
        text.push_str(&format!(
            "\nNo credential is saved for {url} yet: the bridge logs in on first use, or run \
             `mcp-auth login {url}` now."
        ));
    }
    ctx.out.info(&text);
    Ok(())
}

/// Removes the server from the host's configuration.
pub async fn remove_server(remove: &RemoveServer) -> Result<Removal> {
    if remove.host == Host::ClaudeCode {
        claude_remove(&remove.file, &remove.name).await
    } else {
        hosts::remove(&remove.file, &remove.name)
    }
}

async fn remove(ctx: &Context, remove: &RemoveServer) -> Result<()> {
    let (host, f) = (remove.host, &remove.file);
    match remove_server(remove).await? {
        Removal::NotThere => Err(Error::Usage(format!(
            "{} has no server named '{}' in {} ({} scope)",
            host.title(),
            remove.name,
            f.path.display(),
            f.scope
        ))),
        Removal::Removed { backup } => {
            let mut text = format!(
                "Removed '{}' from {} ({}).",
                remove.name,
                host.title(),
                f.path.display()
            );
            if let Some(b) = backup {
                text.push_str(&format!(" The previous file is kept as {}.", b.display()));
            }
            ctx.out.info(&text);
            Ok(())
        }
    }
}

/// One row of `clients list`.
#[derive(Debug, Serialize)]
pub struct ClientRow {
    pub host: &'static str,
    pub scope: &'static str,
    pub file: String,
    pub name: String,
    pub url: String,
    pub command: String,
    /// The credential the bridge will use, if one is saved.
    pub credential: Option<String>,
    pub health: String,
}

/// Every host's servers that run the bridge.
pub struct ClientList {
    pub rows: Vec<ClientRow>,
    /// A line for each host file that could not be read.
    pub unreadable: Vec<String>,
}

/// The servers of every host file that run the bridge, with the health of
/// their credentials.
pub fn servers(ctx: &Context) -> Result<ClientList> {
    let mut rows = Vec::new();
    let mut unreadable = Vec::new();
    for f in hosts::all_files(&cwd()?)? {
        let servers = match f.servers() {
            Ok(s) => s,
            Err(e) => {
                unreadable.push(format!("{}: {e}", f.path.display()));
                continue;
            }
        };
        for (name, entry) in servers {
            let Some(b) = hosts::bridge_of(&entry) else {
                continue;
            };
            let (credential, health) = match credential_health(ctx, &b) {
                Some((c, h)) => (Some(c), h),
                None => (None, "not logged in".to_string()),
            };
            rows.push(ClientRow {
                host: f.host.as_str(),
                scope: f.scope,
                file: f.path.display().to_string(),
                name,
                url: b.url.clone(),
                command: b.command.clone(),
                credential,
                health,
            });
        }
    }
    Ok(ClientList { rows, unreadable })
}

fn list(ctx: &Context, json: bool) -> Result<()> {
    let ClientList { rows, unreadable } = servers(ctx)?;
    for problem in &unreadable {
        ctx.out.warn(problem);
    }
    if json {
        return ctx.out.json(&rows);
    }
    if rows.is_empty() {
        ctx.out.info(
            "No MCP host runs the bridge yet. Add a server with \
             `mcp-auth clients add <claude-code | claude-desktop | cursor | vscode> NAME URL`.",
        );
        return Ok(());
    }
    let table = rows
        .iter()
        .map(|r| {
            vec![
                r.host.to_string(),
                r.scope.to_string(),
                r.name.clone(),
                r.url.clone(),
                r.credential.clone().unwrap_or_else(|| "-".into()),
                r.health.clone(),
            ]
        })
        .collect();
    ctx.out.table(
        &["HOST", "SCOPE", "NAME", "URL", "CREDENTIAL", "HEALTH"],
        table,
    )
}

/// The credential a bridge entry uses (its `--name`, else the newest saved
/// for its URL, as the bridge chooses) and its health; `None` when there is
/// none. The store is read, never the secrets.
fn credential_health(ctx: &Context, b: &hosts::BridgeEntry) -> Option<(String, String)> {
    let db = ctx.credentials().ok()?;
    let found = match &b.credential {
        Some(name) => db.get(name).ok().flatten(),
        None => {
            let url = crate::mcp::canonical_server_url(&b.url).ok()?;
            db.find_by_server(&url).ok()?.into_iter().next()
        }
    }?;
    let health = found.health(now()).as_str().to_string();
    Some((found.name, health))
}

/// `claude mcp add --scope S NAME -- COMMAND ARGS...`, unless the same
/// server is there already; a different bridge of that name is replaced
/// (removed, then added), anything else refused.
async fn claude_add(
    f: &HostFile,
    name: &str,
    command: &str,
    args: &[String],
) -> Result<(Change, Option<PathBuf>)> {
    let change = match f.server(name)? {
        None => Change::Added,
        Some(old) => match hosts::bridge_of(&old) {
            Some(b) if b.command == command && b.args == args => {
                return Ok((Change::Unchanged, None));
            }
            Some(_) => Change::Updated,
            None => {
                return Err(Error::Usage(format!(
                    "Claude Code already has a server named '{name}' ({} scope) that is not an \
                     mcp-auth bridge; pick another name, or remove that one first",
                    f.scope
                )));
            }
        },
    };
    let backup = keep_backup(&f.path)?;
    if change == Change::Updated {
        claude(&["mcp", "remove", name, "--scope", f.scope]).await?;
    }
    let mut argv: Vec<&str> = vec!["mcp", "add", "--scope", f.scope, name, "--", command];
    argv.extend(args.iter().map(String::as_str));
    claude(&argv).await?;
    Ok((change, backup))
}

async fn claude_remove(f: &HostFile, name: &str) -> Result<Removal> {
    match f.server(name)? {
        None => return Ok(Removal::NotThere),
        Some(old) if hosts::bridge_of(&old).is_none() => {
            return Err(Error::Usage(format!(
                "'{name}' in Claude Code ({} scope) is not an mcp-auth bridge; it is left alone",
                f.scope
            )));
        }
        Some(_) => {}
    }
    let backup = keep_backup(&f.path)?;
    claude(&["mcp", "remove", name, "--scope", f.scope]).await?;
    Ok(Removal::Removed { backup })
}

/// A copy of `path` as `NAME.bak` before `claude` changes it.
fn keep_backup(path: &Path) -> Result<Option<PathBuf>> {
    if !path.exists() {
        return Ok(None);
    }
    let mut b = path.as_os_str().to_owned();
    b.push(".bak");
    let b = PathBuf::from(b);
    std::fs::copy(path, &b)
        .map_err(|e| Error::io(format!("cannot keep a backup at {}", b.display()), e))?;
    Ok(Some(b))
}

/// Runs Claude Code's CLI; its own message on failure.
async fn claude(args: &[&str]) -> Result<()> {
    let out = tokio::process::Command::new("claude")
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::Usage(
                    "the `claude` command (Claude Code) is not on PATH; install it \
                     (`npm install -g @anthropic-ai/claude-code`) or add the server by hand"
                        .into(),
                )
            } else {
                Error::io("cannot run `claude`", e)
            }
        })?;
    if out.status.success() {
        return Ok(());
    }
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    Err(Error::Other(format!(
        "`claude {}` failed ({}): {}",
        args.first().copied().unwrap_or_default(),
        out.status,
        crate::text::printable(&text, 300)
    )))
}
