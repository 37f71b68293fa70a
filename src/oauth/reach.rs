//! Where an address is (this machine, a private network, the internet), and
//! the guard that keeps a remote MCP server's metadata from pointing
//! mcp-auth's requests at local services (SSRF; RFC 9700 §4.1, and the MCP
//! security best practices,
//! https://modelcontextprotocol.io/specification/2025-11-25/basic/security_best_practices).
//!
//! A URL's IP literal is judged where the URL is checked; a host name is
//! judged on the addresses it resolves to, in the resolver of the HTTP
//! client that makes the request, so the address checked is the address
//! connected to (a name that resolves to a public address when checked and
//! to 127.0.0.1 when used gains nothing).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

/// Where an address is, most local first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reach {
    /// This machine: 127.0.0.0/8, ::1, `localhost`.
    Loopback,
    /// A private network: RFC 1918, shared (RFC 6598), IPv6 unique local
    /// (RFC 4193), link-local (cloud metadata services live there).
    Private,
    /// Anything else.
    Public,
}

fn of_v4(ip: Ipv4Addr) -> Reach {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Reach::Loopback
    } else if ip.is_private() || ip.is_link_local() || (a == 100 && (64..128).contains(&b)) {
        Reach::Private
    } else {
        Reach::Public
    }
}

/// The reach of one address.
pub fn of_ip(ip: IpAddr) -> Reach {
    match ip {
        IpAddr::V4(v4) => of_v4(v4),
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            if let Some(mapped) = v6.to_ipv4_mapped() {
                of_v4(mapped)
            } else if v6.is_loopback() {
                Reach::Loopback
            } else if first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfe80 {
                Reach::Private
            } else {
                Reach::Public
            }
        }
    }
}

/// The reach of a URL's host as written: IP literals and `localhost`
/// (RFC 6761 §6.3); any other name counts as public here and is judged
/// again on its addresses when it is connected to.
pub fn of_url(url: &Url) -> Reach {
    match url.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if d == "localhost" || d.ends_with(".localhost") {
                Reach::Loopback
            } else {
                Reach::Public
            }
        }
        Some(url::Host::Ipv4(ip)) => of_v4(ip),
        Some(url::Host::Ipv6(ip)) => of_ip(IpAddr::V6(ip)),
        None => Reach::Public,
    }
}

/// Where the MCP server at `url` is: its literal, or the most local of the
/// addresses its name resolves to. A name that does not resolve counts as
/// public, the strictest case (its requests fail anyway).
pub async fn of_server(url: &Url) -> Reach {
    let literal = of_url(url);
    if literal != Reach::Public || !matches!(url.host(), Some(url::Host::Domain(_))) {
        return literal;
    }
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return Reach::Public;
    };
    match tokio::net::lookup_host((host, port)).await {
        Ok(addrs) => addrs.map(|a| of_ip(a.ip())).min().unwrap_or(Reach::Public),
        Err(_) => Reach::Public,
    }
}

/// Resolves host names to public addresses only: a name whose addresses
/// are all on this machine or a private network is refused, and the others
/// are dropped, so the connection goes only to a public address.
#[derive(Clone)]
pub struct PublicOnly {
    lookup: Arc<dyn Fn(String) -> Resolving + Send + Sync>,
}

impl PublicOnly {
    /// With the system resolver.
    pub fn new() -> PublicOnly {
        PublicOnly::with_lookup(|host| {
            Box::pin(async move {
                let addrs: Vec<SocketAddr> =
                    tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
                Ok(Box::new(addrs.into_iter()) as Addrs)
            })
        })
    }

    /// With another lookup: the seam the tests use, since only loopback
    /// addresses exist on a test machine.
    pub fn with_lookup(lookup: impl Fn(String) -> Resolving + Send + Sync + 'static) -> PublicOnly {
        PublicOnly {
            lookup: Arc::new(lookup),
        }
    }
}

impl Default for PublicOnly {
    fn default() -> Self {
        PublicOnly::new()
    }
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let lookup = (self.lookup)(host.clone());
        Box::pin(async move {
            let all: Vec<SocketAddr> = lookup.await?.collect();
            let public: Vec<SocketAddr> = all
                .iter()
                .copied()
                .filter(|a| of_ip(a.ip()) == Reach::Public)
                .collect();
            if public.is_empty() && !all.is_empty() {
                tracing::warn!(%host, "refused: the name resolves to this machine or a private network");
                return Err(format!(
                    "{host} resolves to this machine or a private network, but the MCP server \
                     is not there; refusing to send anything to it"
                )
                .into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(addrs: &'static [&'static str]) -> PublicOnly {
        PublicOnly::with_lookup(move |_host| {
            Box::pin(async move {
                let v: Vec<SocketAddr> = addrs
                    .iter()
                    .map(|a| SocketAddr::new(a.parse().unwrap(), 0))
                    .collect();
                Ok(Box::new(v.into_iter()) as Addrs)
            })
        })
    }

    async fn resolve(r: &PublicOnly, host: &str) -> Result<Vec<IpAddr>, String> {
        let name: Name = host.parse().unwrap();
        r.resolve(name)
            .await
            .map(|a| a.map(|s| s.ip()).collect())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn addresses_are_classified() {
        for (ip, reach) in [
            ("127.0.0.1", Reach::Loopback),
            ("127.9.9.9", Reach::Loopback),
            ("::1", Reach::Loopback),
            ("::ffff:127.0.0.1", Reach::Loopback),
            ("10.1.2.3", Reach::Private),
            ("172.16.0.1", Reach::Private),
            ("192.168.0.1", Reach::Private),
            ("169.254.169.254", Reach::Private),
            ("100.64.0.1", Reach::Private),
            ("fd00::1", Reach::Private),
            ("fe80::1", Reach::Private),
            ("93.184.216.34", Reach::Public),
            ("100.128.0.1", Reach::Public),
            ("2606:4700::1111", Reach::Public),
        ] {
            assert_eq!(of_ip(ip.parse().unwrap()), reach, "{ip}");
        }
    }

    #[tokio::test]
    async fn a_name_that_resolves_inward_is_refused_and_mixed_answers_keep_public_addresses() {
        let inward = fixed(&["127.0.0.1", "10.0.0.5", "169.254.169.254"]);
        let e = resolve(&inward, "auth.evil.example").await.unwrap_err();
        assert!(
            e.contains("auth.evil.example resolves to this machine"),
            "{e}"
        );
        let mixed = fixed(&["10.0.0.5", "93.184.216.34", "::1"]);
        assert_eq!(
            resolve(&mixed, "auth.example.com").await.unwrap(),
            vec!["93.184.216.34".parse::<IpAddr>().unwrap()]
        );
    }

    #[tokio::test]
    async fn the_guarded_oauth_client_never_connects_to_a_name_that_resolves_inward() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut c, _)) = listener.accept().await {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buf = [0u8; 1024];
                let _ = c.read(&mut buf).await;
                let _ = c
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                    .await;
            }
        });
        // `localhost` is a name: the system resolver says 127.0.0.1.
        let url = format!("http://localhost:{port}/.well-known/oauth-authorization-server");
        let get = |url: String| async move {
            crate::oauth::http::client()
                .unwrap()
                .get(url)
                .send()
                .await
                .map(|r| r.status().as_u16())
        };
        let refused = crate::oauth::http::public_only(true, get(url.clone())).await;
        let e = refused.unwrap_err();
        let chain = format!("{e:?}");
        assert!(chain.contains("resolves to this machine"), "{chain}");
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 0);
        // Without the guard (a loopback server's own discovery) it connects.
        let allowed = crate::oauth::http::public_only(false, get(url)).await;
        assert_eq!(allowed.unwrap(), 200);
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn servers_are_judged_on_their_literal_or_their_addresses() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert_eq!(
            of_server(&u("http://127.0.0.1:9/mcp")).await,
            Reach::Loopback
        );
        assert_eq!(
            of_server(&u("http://localhost:9/mcp")).await,
            Reach::Loopback
        );
        assert_eq!(of_server(&u("https://10.0.0.2/mcp")).await, Reach::Private);
        // A name that does not resolve is judged the strictest way.
        assert_eq!(
            of_server(&u("https://does-not-exist.invalid/mcp")).await,
            Reach::Public
        );
    }
}
