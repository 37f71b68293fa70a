//! MCP hosts' configuration files: where each host keeps its MCP servers,
//! which of them run `mcp-auth bridge`, and how one is added or removed
//! without disturbing anything else in the file.
//!
//! Where each host looks (its documentation):
//!
//! - Claude Code (<https://docs.anthropic.com/en/docs/claude-code/mcp>):
//!   `claude mcp add --scope local|project|user`; `user` and `local`
//!   servers live in `~/.claude.json` (`mcpServers` at the top, or under
//!   `projects.<directory>`), `project` ones in `.mcp.json` of the project.
//!   It is changed through `claude mcp add/remove` only, never edited here.
//! - Claude Desktop (<https://modelcontextprotocol.io/quickstart/user>):
//!   `claude_desktop_config.json`, `mcpServers`, in `~/Library/Application
//!   Support/Claude` on macOS and `%APPDATA%\Claude` on Windows (the
//!   platform's configuration directory; on Linux, which has no official
//!   build, `~/.config/Claude` as the community builds use).
//! - Cursor (<https://cursor.com/docs/mcp>): `~/.cursor/mcp.json`, or
//!   `.cursor/mcp.json` in a project, `mcpServers`.
//! - VS Code (<https://code.visualstudio.com/docs/copilot/reference/mcp-configuration>):
//!   `mcp.json` in the user profile (`Code/User/mcp.json` in the platform's
//!   configuration directory), or `.vscode/mcp.json` in a workspace; the
//!   key is `servers` and a command server has `"type": "stdio"`.
//!
//! A file is merged, never rewritten from scratch: its other keys and other
//! servers stay as they are (in their order), a copy of the previous
//! version is kept beside it as `NAME.bak`, the new version replaces the
//! old one atomically, and adding what is already there changes nothing.
//! A file that is not plain JSON (VS Code accepts comments) is refused
//! rather than guessed at. A server of the same name that is not an
//! `mcp-auth` bridge is never replaced.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::{Error, Result};

/// An MCP host mcp-auth can connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    ClaudeCode,
    ClaudeDesktop,
    Cursor,
    Vscode,
}

impl Host {
    pub const ALL: [Host; 4] = [
        Host::ClaudeCode,
        Host::ClaudeDesktop,
        Host::Cursor,
        Host::Vscode,
    ];

    /// The name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Host::ClaudeCode => "claude-code",
            Host::ClaudeDesktop => "claude-desktop",
            Host::Cursor => "cursor",
            Host::Vscode => "vscode",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Host::ClaudeCode => "Claude Code",
            Host::ClaudeDesktop => "Claude Desktop",
            Host::Cursor => "Cursor",
            Host::Vscode => "VS Code",
        }
    }

    /// The key of the server map in the host's files.
    fn servers_key(self) -> &'static str {
        match self {
            Host::Vscode => "servers",
            _ => "mcpServers",
        }
    }
}

/// One place a host keeps MCP servers.
#[derive(Debug, Clone)]
pub struct HostFile {
    pub host: Host,
    /// `user`, `project` or (Claude Code) `local`.
    pub scope: &'static str,
    pub path: PathBuf,
    /// Claude Code's `local` scope: the servers sit under
    /// `projects.<this directory>` of `~/.claude.json`.
    pub project_dir: Option<String>,
}

impl HostFile {
    /// The servers of this file (by name); none when the file is absent.
    pub fn servers(&self) -> Result<Vec<(String, Value)>> {
        let Some(doc) = read(&self.path)? else {
            return Ok(Vec::new());
        };
        let map = match &self.project_dir {
            Some(dir) => doc
                .get("projects")
                .and_then(|p| p.get(dir).cloned())
                .and_then(|p| p.get(self.host.servers_key()).cloned()),
            None => doc.get(self.host.servers_key()),
        };
        Ok(match map {
            Some(Value::Object(m)) => m.into_iter().collect(),
            _ => Vec::new(),
        })
    }

    /// The entry named `name`, if any.
    pub fn server(&self, name: &str) -> Result<Option<Value>> {
        Ok(self
            .servers()?
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v))
    }
}

/// The platform's directories (the `directories` crate: `$HOME` and the
/// XDG variables on Linux, the Known Folders on Windows, `~/Library` on
/// macOS).
fn base() -> Result<directories::BaseDirs> {
    directories::BaseDirs::new()
        .ok_or_else(|| Error::Config("cannot find the home directory".into()))
}

/// Claude Code's own file: `$CLAUDE_CONFIG_DIR/.claude.json` when that is
/// set, else `~/.claude.json`.
fn claude_json() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("CLAUDE_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join(".claude.json"));
    }
    Ok(base()?.home_dir().join(".claude.json"))
}

/// Where `host` keeps servers of `scope` (`user`, `project`, `local`);
/// `cwd` is the project directory.
pub fn file(host: Host, scope: &str, cwd: &Path) -> Result<HostFile> {
    let b = base()?;
    let (scope, path, project_dir) = match (host, scope) {
        (Host::ClaudeCode, "user") => ("user", claude_json()?, None),
        (Host::ClaudeCode, "local") => (
            "local",
            claude_json()?,
            Some(cwd.to_string_lossy().into_owned()),
        ),
        (Host::ClaudeCode, "project") => ("project", cwd.join(".mcp.json"), None),
        (Host::ClaudeDesktop, "user") => (
            "user",
            b.config_dir()
                .join("Claude")
                .join("claude_desktop_config.json"),
            None,
        ),
        (Host::Cursor, "user") => ("user", b.home_dir().join(".cursor").join("mcp.json"), None),
        (Host::Cursor, "project") => ("project", cwd.join(".cursor").join("mcp.json"), None),
        (Host::Vscode, "user") => (
            "user",
            b.config_dir().join("Code").join("User").join("mcp.json"),
            None,
        ),
        (Host::Vscode, "project") => ("project", cwd.join(".vscode").join("mcp.json"), None),
        (h, s) => {
            return Err(Error::Usage(format!(
                "{} has no {s} configuration{}",
                h.title(),
                match h {
                    Host::ClaudeDesktop => " (it has one configuration file per user)",
                    Host::ClaudeCode => "; its scopes are local, project and user",
                    _ => "; use --project for the project's file, or leave it out",
                }
            )));
        }
    };
    Ok(HostFile {
        host,
        scope,
        path,
        project_dir,
    })
}

/// Every place `clients list` looks: each host's user file, and the
/// project files of `cwd`.
pub fn all_files(cwd: &Path) -> Result<Vec<HostFile>> {
    let mut files = Vec::new();
    for host in Host::ALL {
        let scopes: &[&str] = match host {
            Host::ClaudeCode => &["user", "local", "project"],
            Host::ClaudeDesktop => &["user"],
            Host::Cursor | Host::Vscode => &["user", "project"],
        };
        for s in scopes {
            files.push(file(host, s, cwd)?);
        }
    }
    Ok(files)
}

/// What an `mcp-auth bridge` entry says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeEntry {
    pub command: String,
    pub url: String,
    /// `--name`, when the entry picks a credential.
    pub credential: Option<String>,
    pub args: Vec<String>,
}

/// The bridge an entry runs, if it is `mcp-auth bridge URL ...`.
pub fn bridge_of(entry: &Value) -> Option<BridgeEntry> {
    let command = entry.get("command")?.as_str()?;
    let file = Path::new(command).file_name()?.to_str()?;
    if file != "mcp-auth" && file != "mcp-auth.exe" {
        return None;
    }
    let args: Vec<String> = entry
        .get("args")?
        .as_array()?
        .iter()
        .map(|a| a.as_str().map(str::to_string))
        .collect::<Option<_>>()?;
    // Global flags may come first (`--log-file F bridge URL`).
    let at = args.iter().position(|a| a == "bridge")?;
    let url = args.get(at + 1)?.clone();
    let mut credential = None;
    let mut rest = args[at + 2..].iter();
    while let Some(a) = rest.next() {
        if a == "--name" {
            credential = rest.next().cloned();
        } else if let Some(v) = a.strip_prefix("--name=") {
            credential = Some(v.to_string());
        }
    }
    Some(BridgeEntry {
        command: command.to_string(),
        url,
        credential,
        args,
    })
}

/// The entry a host gets for `command args...`.
pub fn entry(host: Host, command: &str, args: &[String]) -> Value {
    let mut e = serde_json::Map::new();
    if host == Host::Vscode {
        e.insert("type".into(), Value::from("stdio"));
    }
    e.insert("command".into(), Value::from(command));
    e.insert("args".into(), Value::from(args.to_vec()));
    Value::Object(e)
}

/// What a change did to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Added,
    Updated,
    /// The same entry was there already: the file was not touched.
    Unchanged,
}

/// Adds (or updates) server `name` in a host file (not Claude Code's,
/// which its CLI changes). Refuses to replace a server that is not an
/// `mcp-auth` bridge. Returns the backup written, if any.
pub fn upsert(f: &HostFile, name: &str, new: Value) -> Result<(Change, Option<PathBuf>)> {
    let mut doc = read(&f.path)?.unwrap_or_default();
    let mut servers = doc.servers(f.host.servers_key(), &f.path)?;
    let change = match servers.get(name) {
        Some(old) if old == new => return Ok((Change::Unchanged, None)),
        Some(old) if bridge_of(&old).is_none() => {
            return Err(Error::Usage(format!(
                "{} already has a server named '{name}' that is not an mcp-auth bridge ({}); \
                 pick another name, or remove that one first",
                f.host.title(),
                f.path.display()
            )));
        }
        Some(_) => Change::Updated,
        None => Change::Added,
    };
    servers.set(name, raw(&new, 2)?);
    doc.set(f.host.servers_key(), raw_object(&servers, 1)?);
    let backup = write(&f.path, &doc)?;
    Ok((change, backup))
}

/// What removing a server did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    /// There was no server of that name.
    NotThere,
    /// Removed; the previous file kept here, if there was one to keep.
    Removed { backup: Option<PathBuf> },
}

/// Removes server `name` from a host file; refuses to remove a server
/// that is not an `mcp-auth` bridge.
pub fn remove(f: &HostFile, name: &str) -> Result<Removal> {
    let Some(mut doc) = read(&f.path)? else {
        return Ok(Removal::NotThere);
    };
    let mut servers = doc.servers(f.host.servers_key(), &f.path)?;
    match servers.get(name) {
        None => return Ok(Removal::NotThere),
        Some(old) if bridge_of(&old).is_none() => {
            return Err(Error::Usage(format!(
                "'{name}' in {} is not an mcp-auth bridge; it is left alone",
                f.path.display()
            )));
        }
        Some(_) => {}
    }
    servers.remove(name);
    doc.set(f.host.servers_key(), raw_object(&servers, 1)?);
    Ok(Removal::Removed {
        backup: write(&f.path, &doc)?,
    })
}

/// A JSON object read in the order of the file, each value kept as its
/// own text: what is not changed is written back exactly as it was
/// (serde_json without `preserve_order` would sort and reformat it).
#[derive(Debug, Default)]
struct Ordered(Vec<(String, Box<RawValue>)>);

impl Ordered {
    fn parse(text: &str) -> std::result::Result<Ordered, serde_json::Error> {
        serde_json::from_str(text)
    }

    fn value(&self, key: &str) -> Option<&RawValue> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }

    fn get(&self, key: &str) -> Option<Value> {
        self.value(key)
            .and_then(|v| serde_json::from_str(v.get()).ok())
    }

    fn set(&mut self, key: &str, value: Box<RawValue>) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value,
            None => self.0.push((key.to_string(), value)),
        }
    }

    fn remove(&mut self, key: &str) {
        self.0.retain(|(k, _)| k != key);
    }

    /// The object under `key`, empty when absent; an error when it is
    /// something else.
    fn servers(&self, key: &str, path: &Path) -> Result<Ordered> {
        match self.value(key) {
            None => Ok(Ordered::default()),
            Some(v) => Ordered::parse(v.get()).map_err(|_| {
                Error::Usage(format!(
                    "\"{key}\" in {} is not an object; fix the file first",
                    path.display()
                ))
            }),
        }
    }
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Ordered, A::Error> {
                let mut v = Vec::new();
                while let Some(entry) = a.next_entry::<String, Box<RawValue>>()? {
                    v.push(entry);
                }
                Ok(Ordered(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// The order of a server entry's keys, as the hosts' documentation shows
/// them (serde_json would sort them: `args` before `command`).
const ENTRY_ORDER: [&str; 5] = ["type", "command", "args", "env", "url"];

/// `value` pretty-printed for a place `depth` levels deep (two spaces a
/// level, as the hosts write their files), an object's keys in
/// [`ENTRY_ORDER`] first.
fn raw(value: &Value, depth: usize) -> Result<Box<RawValue>> {
    if let Value::Object(m) = value {
        let rank = |k: &str| {
            ENTRY_ORDER
                .iter()
                .position(|o| *o == k)
                .unwrap_or(ENTRY_ORDER.len())
        };
        let mut keys: Vec<&String> = m.keys().collect();
        keys.sort_by_key(|k| (rank(k), k.as_str()));
        let mut o = Ordered::default();
        for k in keys {
            o.set(k, raw(&m[k.as_str()], depth + 1)?);
        }
        return raw_object(&o, depth);
    }
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::Other(format!("cannot encode JSON: {e}")))?;
    let text = text.replace('\n', &format!("\n{}", "  ".repeat(depth)));
    RawValue::from_string(text).map_err(|e| Error::Other(format!("cannot encode JSON: {e}")))
}

/// An ordered object as text for a place `depth` levels deep; its values
/// as they are.
fn raw_object(o: &Ordered, depth: usize) -> Result<Box<RawValue>> {
    let pad = "  ".repeat(depth + 1);
    let text = if o.0.is_empty() {
        "{}".to_string()
    } else {
        let entries: Vec<String> =
            o.0.iter()
                .map(|(k, v)| {
                    let key = serde_json::to_string(k).unwrap_or_default();
                    format!("{pad}{key}: {}", v.get())
                })
                .collect();
        format!("{{\n{}\n{}}}", entries.join(",\n"), "  ".repeat(depth))
    };
    RawValue::from_string(text).map_err(|e| Error::Other(format!("cannot encode JSON: {e}")))
}

/// Reads a host file; `None` when it does not exist (or is empty).
fn read(path: &Path) -> Result<Option<Ordered>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(format!("cannot read {}", path.display()), e)),
    };
    if text.trim().is_empty() {
        return Ok(None);
    }
    let doc = Ordered::parse(&text).map_err(|e| {
        Error::Usage(format!(
            "{} is not a plain JSON object ({}, line {}); it was left as it is: fix it (or \
             remove its comments) and try again",
            path.display(),
            crate::error::json_problem(&e),
            e.line()
        ))
    })?;
    Ok(Some(doc))
}

/// Writes `doc` to `path` atomically (a temporary file renamed over it),
/// with the previous file's permissions, after copying the previous file
/// to `NAME.bak`. Returns the backup's path, if there was a file to keep.
fn write(path: &Path, doc: &Ordered) -> Result<Option<PathBuf>> {
    let mut text = raw_object(doc, 0)?.get().to_string();
    text.push('\n');
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    let old_meta = std::fs::metadata(path).ok();
    let backup = match &old_meta {
        Some(_) => {
            let mut b = path.as_os_str().to_owned();
            b.push(".bak");
            let b = PathBuf::from(b);
            std::fs::copy(path, &b)
                .map_err(|e| Error::io(format!("cannot keep a backup at {}", b.display()), e))?;
            Some(b)
        }
        None => None,
    };
    let tmp = tempfile_in(dir, path)?;
    std::fs::write(&tmp, text.as_bytes())
        .map_err(|e| Error::io(format!("cannot write {}", tmp.display()), e))?;
    if let Some(m) = old_meta {
        let _ = std::fs::set_permissions(&tmp, m.permissions());
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(format!("cannot replace {}", path.display()), e)
    })?;
    Ok(backup)
}

fn tempfile_in(dir: &Path, path: &Path) -> Result<PathBuf> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "mcp.json".into());
    Ok(dir.join(format!(".{name}.mcp-auth-{}.tmp", std::process::id())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hf(dir: &Path, host: Host) -> HostFile {
        HostFile {
            host,
            scope: "user",
            path: dir.join("mcp.json"),
            project_dir: None,
        }
    }

    fn bridge(url: &str) -> Value {
        entry(
            Host::Cursor,
            "/opt/bin/mcp-auth",
            &["bridge".into(), url.into()],
        )
    }

    #[test]
    fn merging_keeps_other_keys_servers_and_their_order() {
        let dir = tempfile::tempdir().unwrap();
        let f = hf(dir.path(), Host::Cursor);
        std::fs::write(
            &f.path,
            r#"{"zeta": 1, "mcpServers": {"zz": {"command": "npx", "args": ["-y", "x"]}, "aa": {"url": "https://a"}}, "alpha": {"b": 2, "a": 1}}"#,
        )
        .unwrap();
        let (c, backup) = upsert(&f, "linear", bridge("https://mcp.linear.app/mcp")).unwrap();
        assert_eq!(c, Change::Added);
        let backup = backup.unwrap();
        assert!(
            std::fs::read_to_string(&backup)
                .unwrap()
                .contains("\"zeta\": 1")
        );
        let text = std::fs::read_to_string(&f.path).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["zeta"], 1);
        assert_eq!(v["alpha"]["b"], 2);
        assert_eq!(v["mcpServers"]["zz"]["command"], "npx");
        assert_eq!(v["mcpServers"]["aa"]["url"], "https://a");
        assert_eq!(
            v["mcpServers"]["linear"]["args"][1],
            "https://mcp.linear.app/mcp"
        );
        // Order: top-level keys and servers as they were, the new one last.
        let (z, m, a) = (
            text.find("\"zeta\"").unwrap(),
            text.find("\"mcpServers\"").unwrap(),
            text.find("\"alpha\"").unwrap(),
        );
        assert!(z < m && m < a, "{text}");
        let (zz, aa, l) = (
            text.find("\"zz\"").unwrap(),
            text.find("\"aa\"").unwrap(),
            text.find("\"linear\"").unwrap(),
        );
        assert!(zz < aa && aa < l, "{text}");

        // Idempotent: the same entry again touches nothing.
        let before = std::fs::metadata(&f.path).unwrap().modified().unwrap();
        assert_eq!(
            upsert(&f, "linear", bridge("https://mcp.linear.app/mcp")).unwrap(),
            (Change::Unchanged, None)
        );
        assert_eq!(
            std::fs::metadata(&f.path).unwrap().modified().unwrap(),
            before
        );
        // A changed bridge is updated; another server of that name is not.
        assert_eq!(
            upsert(&f, "linear", bridge("https://mcp.linear.app/v2"))
                .unwrap()
                .0,
            Change::Updated
        );
        let e = upsert(&f, "zz", bridge("https://x/mcp"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not an mcp-auth bridge"), "{e}");
        let e = remove(&f, "zz").unwrap_err().to_string();
        assert!(e.contains("left alone"), "{e}");
        assert!(matches!(
            remove(&f, "linear").unwrap(),
            Removal::Removed { backup: Some(_) }
        ));
        assert_eq!(remove(&f, "linear").unwrap(), Removal::NotThere);
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&f.path).unwrap()).unwrap();
        assert!(v["mcpServers"].get("linear").is_none());
        assert_eq!(v["mcpServers"]["zz"]["command"], "npx");
    }

    #[test]
    fn files_that_are_not_plain_json_are_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let f = hf(dir.path(), Host::Vscode);
        let jsonc = "{\n  // my servers\n  \"servers\": {}\n}\n";
        std::fs::write(&f.path, jsonc).unwrap();
        let e = upsert(&f, "x", bridge("https://x/mcp"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a plain JSON object"), "{e}");
        assert_eq!(std::fs::read_to_string(&f.path).unwrap(), jsonc);
        std::fs::write(&f.path, r#"{"servers": []}"#).unwrap();
        assert!(upsert(&f, "x", bridge("https://x/mcp")).is_err());
    }

    #[test]
    fn bridge_entries_are_recognised_with_their_url_and_credential() {
        let e = serde_json::json!({"command": "/usr/local/bin/mcp-auth",
            "args": ["--log-file", "/tmp/l", "bridge", "https://a/mcp", "--name", "work"]});
        let b = bridge_of(&e).unwrap();
        assert_eq!(b.url, "https://a/mcp");
        assert_eq!(b.credential.as_deref(), Some("work"));
        assert!(
            bridge_of(&serde_json::json!({"command": "npx", "args": ["bridge", "x"]})).is_none()
        );
        assert!(bridge_of(&serde_json::json!({"url": "https://a"})).is_none());
        assert_eq!(entry(Host::Vscode, "/m", &[])["type"], "stdio");
        assert!(entry(Host::Cursor, "/m", &[]).get("type").is_none());
    }
}
