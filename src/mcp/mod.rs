//! MCP on the wire: the stdio-to-HTTP bridge ([`bridge`]), its HTTP
//! transports ([`transport`]: Streamable HTTP and the older HTTP+SSE), the
//! SSE helpers ([`sse`]), the few JSON-RPC facts the bridge reads
//! ([`jsonrpc`]), the authorization seam it calls ([`authorizer`]) and the
//! MCP authorization client behind it ([`auth`]: challenges, discovery,
//! registration, login).
//!
//! The bridge is transparent: it reads a message's `id` and `method` (and,
//! for the 2026-07-28 headers, a tool's `name` or a resource's `uri`, and
//! the protocol version its `_meta` names) and forwards the bytes
//! untouched. It re-serialises only where the protocol makes it: a
//! `tools/list` result without the tools a client must exclude, and the
//! `_meta` it adds when it adapts a 2025-era client to a 2026-only server.
//!
//! Direction of use: `commands` → `mcp` → `credentials` → `oauth`/`store`.

pub mod auth;
pub mod authorizer;
pub mod bridge;
pub mod headers;
pub mod jsonrpc;
pub mod sse;
pub mod stdio;
pub mod transport;

use crate::error::{Error, Result};

/// The canonical form of an MCP server URL, used to find the credential
/// saved for a server and (by the login) to save it under.
///
/// Scheme and host are lower-cased and a default port is dropped (the `url`
/// crate does both), the fragment is dropped, the path and query are kept
/// as they are, and an empty path is written without its slash
/// (`https://a.example/` and `https://A.example:443` both become
/// `https://a.example`), as the MCP authorization spec's canonical resource
/// URI prefers.
pub fn canonical_server_url(raw: &str) -> Result<String> {
    let mut url = url::Url::parse(raw.trim()).map_err(|e| {
        Error::Usage(format!(
            "{raw:?} is not a valid server URL ({e}); give the full URL, e.g. https://mcp.example.com/mcp"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::Usage(format!(
            "{raw:?}: only http:// and https:// server URLs are supported"
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::Usage(format!("{raw:?} has no host")));
    }
    url.set_fragment(None);
    let mut text = url.to_string();
    if url.path() == "/" && url.query().is_none() && text.ends_with('/') {
        text.pop();
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_urls_drop_case_default_ports_fragments_and_a_lone_slash() {
        let c = |s: &str| canonical_server_url(s).unwrap();
        assert_eq!(
            c("HTTPS://MCP.Example.COM:443/mcp"),
            "https://mcp.example.com/mcp"
        );
        assert_eq!(c("http://localhost:80/mcp#x"), "http://localhost/mcp");
        assert_eq!(c("https://a.example/"), "https://a.example");
        assert_eq!(c("https://a.example"), "https://a.example");
        assert_eq!(
            c("https://a.example:8443/Path/"),
            "https://a.example:8443/Path/"
        );
        assert_eq!(
            c(" https://a.example/mcp?x=1 "),
            "https://a.example/mcp?x=1"
        );
    }

    #[test]
    fn non_http_urls_are_refused() {
        assert!(canonical_server_url("ftp://a.example/").is_err());
        assert!(canonical_server_url("not a url").is_err());
        assert!(canonical_server_url("mcp.example.com/mcp").is_err());
    }
}
