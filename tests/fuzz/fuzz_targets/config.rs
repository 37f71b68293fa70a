//! `config.toml` and `MCP_AUTH_*` overrides: `Config::from_sources` (TOML,
//! environment overlay, durations, provider tables).
//!
//! Input: NUL-separated: the file's text, then `NAME=value` environment
//! entries.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_auth::config::{Config, ENV_PREFIX, parse_duration};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\0');
    let file = parts.next().unwrap_or_default();
    let env: Vec<(String, String)> = parts
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (p.to_string(), String::new()),
        })
        .collect();
    for (_, v) in &env {
        let _ = parse_duration(v);
    }
    let only_foreign = env.iter().all(|(k, _)| !k.starts_with(ENV_PREFIX));
    match Config::from_sources(file, "config.toml", env.clone()) {
        Ok(c) => {
            for name in c.providers.keys() {
                assert!(!name.is_empty() && !name.contains(char::is_whitespace));
            }
            if let Some(b) = &c.browser {
                assert!(!b.trim().is_empty());
            }
            if only_foreign {
                // Variables without the prefix change nothing.
                let alone = Config::from_sources(file, "config.toml", Vec::new())
                    .expect("the same file without foreign variables");
                assert_eq!(format!("{alone:?}"), format!("{c:?}"));
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
