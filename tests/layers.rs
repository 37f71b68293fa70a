//! The layers of `src/lib.rs` hold: nothing above `credentials` reaches the
//! store. `commands`, `mcp` and `daemon` get credentials, secrets, audit
//! events and registrations through `credentials`, the one door, so a
//! change to how they are stored touches only the layers below it.
//!
//! This reads the source (as `tests/generated.rs` reads the committed
//! completions) and fails naming each file and line that imports or names
//! `crate::store` above the door. Test modules (`#[cfg(test)]` to the end
//! of the file) are left out: their fixtures may write rows directly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

/// The folders and files above `credentials` in `src/lib.rs`'s layers.
const ABOVE_THE_DOOR: &[&str] = &[
    "src/commands",
    "src/mcp",
    "src/daemon",
    "src/provider_login.rs",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return;
    }
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without comments and without its test module.
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            break;
        }
        let code = match trimmed.find("//") {
            Some(at) => &trimmed[..at],
            None => trimmed,
        };
        out.push((i + 1, code.to_string()));
    }
    out
}

/// Whether one `use` statement (joined onto one line) brings in `store`:
/// `use crate::store...`, or `use crate::{..., store, ...}` at the top of a
/// group.
fn use_reaches_store(stmt: &str) -> bool {
    let stmt: String = stmt.split_whitespace().collect();
    let Some(path) = stmt
        .strip_prefix("pub(crate)")
        .or(Some(&stmt))
        .and_then(|s| s.strip_prefix("pub").or(Some(s)))
        .and_then(|s| s.strip_prefix("use"))
    else {
        return false;
    };
    if path.starts_with("crate::store") || path.starts_with("mcp_auth::store") {
        return true;
    }
    let Some(group) = path
        .strip_prefix("crate::{")
        .or_else(|| path.strip_prefix("mcp_auth::{"))
    else {
        return false;
    };
    // Items at depth 0 of the group.
    let mut depth = 0;
    let mut item = String::new();
    let mut items = Vec::new();
    for c in group.chars() {
        match c {
            '{' => {
                depth += 1;
                item.push(c);
            }
            '}' if depth == 0 => break,
            '}' => {
                depth -= 1;
                item.push(c);
            }
            ',' if depth == 0 => items.push(std::mem::take(&mut item)),
            c => item.push(c),
        }
    }
    items.push(item);
    items
        .iter()
        .any(|i| i == "store" || i.starts_with("store::") || i.starts_with("store as"))
}

/// Every line of `text` that reaches the store: a `use` of it, or a
/// `crate::store::` path in code.
fn reaches_store(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut stmt: Option<(usize, String)> = None;
    for (n, code) in code_lines(text) {
        let starts_use = code.starts_with("use ")
            || code.starts_with("pub use ")
            || code.starts_with("pub(crate) use ");
        if stmt.is_none() && starts_use {
            stmt = Some((n, String::new()));
        }
        if let Some((first, s)) = &mut stmt {
            s.push_str(&code);
            s.push(' ');
            if code.contains(';') {
                if use_reaches_store(s.trim_end_matches([';', ' '])) {
                    found.push((*first, s.trim().to_string()));
                }
                stmt = None;
            }
            continue;
        }
        if code.contains("crate::store::") || code.contains("mcp_auth::store::") {
            found.push((n, code.trim().to_string()));
        }
    }
    found
}

#[test]
fn nothing_above_credentials_reaches_the_store() {
    let mut files = Vec::new();
    for dir in ABOVE_THE_DOOR {
        rust_files(&root().join(dir), &mut files);
    }
    files.sort();
    assert!(files.len() > 10, "the source folders moved: {files:?}");
    let mut wrong = Vec::new();
    for file in files {
        let rel = file.strip_prefix(root()).unwrap().display().to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        for (line, code) in reaches_store(&text) {
            wrong.push(format!("{rel}:{line}: {code}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "above `credentials` nothing may reach `store` (see the layers in src/lib.rs); \
         add what is needed to the credentials layer instead:\n{}",
        wrong.join("\n")
    );
}

/// The check itself: each way of reaching the store is caught, and what
/// only looks like it is not.
#[test]
fn each_way_of_reaching_the_store_is_caught() {
    for bad in [
        "use crate::store::Store;",
        "use crate::store::{LazyStore, Store};",
        "use crate::store;",
        "pub use crate::store::db::Holder;",
        "use crate::{\n    config::Config,\n    store::db::EventFilter,\n};",
        "use crate::{store, model};",
        "fn f(s: &crate::store::Store) {}",
        "    let h = crate::store::db::Holder::Token;",
    ] {
        assert_eq!(reaches_store(bad).len(), 1, "not caught: {bad}");
    }
    for fine in [
        "use crate::credentials::{Holder, Credentials};",
        "use crate::{credentials, model::Credential};",
        "// use crate::store::Store;",
        "let store = creds.clone(); // not crate::store",
        "use crate::model::{Store as _};",
        "#[cfg(test)]\nmod tests {\n    use crate::store::Store;\n}",
    ] {
        assert!(reaches_store(fine).is_empty(), "caught wrongly: {fine}");
    }
}
