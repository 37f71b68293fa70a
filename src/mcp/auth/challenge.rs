//! `WWW-Authenticate` (RFC 9110 §11.6.1, RFC 6750 §3): the challenges a
//! protected resource sends with a 401 or 403.
//!
//! The grammar lets one header carry several challenges whose parameters
//! are also comma-separated, so a challenge starts where a token is followed
//! by whitespace and something that is not `=`. Values are tokens or quoted
//! strings with backslash escapes. Garbage yields fewer parameters, never a
//! panic; headers longer than [`MAX_LEN`] are not parsed at all.

use std::collections::BTreeMap;

/// Longer headers are ignored: no real challenge is this big.
pub const MAX_LEN: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Challenge {
    /// Lower-cased auth scheme, e.g. `bearer`.
    pub scheme: String,
    /// Parameters by lower-cased name; the first occurrence wins.
    pub params: BTreeMap<String, String>,
    pub token68: Option<String>,
}

/// The parameters of a Bearer challenge that MCP authorization uses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BearerChallenge {
    pub resource_metadata: Option<String>,
    pub scope: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// The challenge was a DPoP one (RFC 9449 §7.1): the resource takes
    /// DPoP-bound tokens.
    pub dpop: bool,
}

impl BearerChallenge {
    /// The scopes the challenge asks for, in order, without duplicates.
    pub fn scopes(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in self.scope.as_deref().unwrap_or("").split_whitespace() {
            if !out.iter().any(|o| o == s) {
                out.push(s.to_string());
            }
        }
        out
    }

    pub fn is_insufficient_scope(&self) -> bool {
        self.error.as_deref() == Some("insufficient_scope")
    }
}

/// Finds the Bearer challenge among all `WWW-Authenticate` header values.
pub fn bearer<'a>(headers: impl IntoIterator<Item = &'a str>) -> Option<BearerChallenge> {
    // A DPoP challenge (RFC 9449 §7.1,
    // https://www.rfc-editor.org/rfc/rfc9449#section-7.1) carries the same
    // parameters for the same purpose; a resource that takes only
    // DPoP-bound tokens sends just that one. Bearer wins when both come.
    let all: Vec<Challenge> = headers.into_iter().flat_map(parse).collect();
    all.iter()
        .find(|c| c.scheme == "bearer")
        .or_else(|| all.iter().find(|c| c.scheme == "dpop"))
        .map(|c| BearerChallenge {
            resource_metadata: c.params.get("resource_metadata").cloned(),
            scope: c.params.get("scope").cloned(),
            error: c.params.get("error").cloned(),
            error_description: c.params.get("error_description").cloned(),
            dpop: c.scheme == "dpop",
        })
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn is_token68(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~+/".contains(c)
}

struct Cursor {
    chars: Vec<char>,
    pos: usize,
}

impl Cursor {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.pos += 1;
        }
    }

    fn skip_separators(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | ',')) {
            self.pos += 1;
        }
    }

    fn take_while(&mut self, f: impl Fn(char) -> bool) -> String {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    /// After a token: is `=` next (after optional whitespace), introducing a
    /// parameter value rather than token68 padding?
    fn at_param_equals(&self) -> bool {
        let mut i = self.pos;
        while matches!(self.chars.get(i), Some(' ' | '\t')) {
            i += 1;
        }
        if self.chars.get(i) != Some(&'=') {
            return false;
        }
        // `==` or `=` at the end / before a comma is token68 padding.
        let mut j = i + 1;
        while matches!(self.chars.get(j), Some(' ' | '\t')) {
            j += 1;
        }
        !matches!(self.chars.get(j), None | Some('=' | ','))
    }

    fn value(&mut self) -> String {
        self.skip_ws();
        if self.peek() == Some('"') {
            self.pos += 1;
            let mut out = String::new();
            while let Some(c) = self.peek() {
                self.pos += 1;
                match c {
                    '"' => return out,
                    '\\' => {
                        if let Some(n) = self.peek() {
                            out.push(n);
                            self.pos += 1;
                        }
                    }
                    c => out.push(c),
                }
            }
            out // unterminated: what was there
        } else {
            self.take_while(|c| c != ',' && c != ' ' && c != '\t')
        }
    }
}

/// Parses one header value into its challenges.
pub fn parse(header: &str) -> Vec<Challenge> {
    if header.len() > MAX_LEN {
        return Vec::new();
    }
    let mut cur = Cursor {
        chars: header.chars().collect(),
        pos: 0,
    };
    let mut out: Vec<Challenge> = Vec::new();
    loop {
        cur.skip_separators();
        let Some(c) = cur.peek() else { break };
        if !is_tchar(c) {
            // Not a token: skip to the next separator and try again.
            cur.take_while(|c| c != ',');
            continue;
        }
        let word = cur.take_while(is_tchar);
        if cur.at_param_equals() {
            // name=value: a parameter of the current challenge.
            cur.skip_ws();
            cur.pos += 1; // '='
            let value = cur.value();
            if let Some(ch) = out.last_mut() {
                ch.params.entry(word.to_ascii_lowercase()).or_insert(value);
            }
            continue;
        }
        // A new challenge: scheme, then token68 or parameters.
        let mut ch = Challenge {
            scheme: word.to_ascii_lowercase(),
            ..Challenge::default()
        };
        cur.skip_ws();
        if cur.peek().is_some_and(is_token68) {
            let save = cur.pos;
            let run = cur.take_while(is_token68);
            if cur.at_param_equals() {
                cur.pos = save; // a parameter; the loop reads it
            } else {
                let pad = cur.take_while(|c| c == '=');
                cur.skip_ws();
                if matches!(cur.peek(), None | Some(',')) {
                    ch.token68 = Some(format!("{run}{pad}"));
                } else {
                    cur.pos = save;
                }
            }
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typical_mcp_challenge() {
        let c = bearer([r#"Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read files:write""#]).unwrap();
        assert_eq!(
            c.resource_metadata.as_deref(),
            Some("https://mcp.example.com/.well-known/oauth-protected-resource/mcp")
        );
        assert_eq!(c.scopes(), vec!["files:read", "files:write"]);
    }

    #[test]
    fn several_challenges_in_one_header_and_case() {
        let all = parse(
            r#"Basic realm="x", bEaReR error="insufficient_scope", scope=a, error_description="need \"a\"""#,
        );
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].scheme, "basic");
        assert_eq!(all[0].params["realm"], "x");
        let b = bearer([r#"Basic realm="x", bEaReR error="insufficient_scope", scope=a, error_description="need \"a\"""#]).unwrap();
        assert!(b.is_insufficient_scope());
        assert_eq!(b.scope.as_deref(), Some("a"));
        assert_eq!(b.error_description.as_deref(), Some("need \"a\""));
    }

    #[test]
    fn spacing_and_token68() {
        let all = parse("Negotiate abc+/==,Bearer   realm = api ,  scope= \"x\"");
        assert_eq!(all[0].token68.as_deref(), Some("abc+/=="));
        assert_eq!(all[1].params["realm"], "api");
        assert_eq!(all[1].params["scope"], "x");
        assert_eq!(parse("Bearer")[0].scheme, "bearer");
        let b = bearer(["Bearer scope=\"\""]).unwrap();
        assert!(b.scopes().is_empty());
    }

    #[test]
    fn multiple_header_values() {
        let b = bearer(["Basic realm=x", "Bearer resource_metadata=\"https://a/b\""]).unwrap();
        assert_eq!(b.resource_metadata.as_deref(), Some("https://a/b"));
        assert!(bearer(["Basic realm=x"]).is_none());
    }

    #[test]
    fn garbage_never_panics() {
        for h in [
            "",
            ",,,",
            "=",
            "Bearer =",
            "Bearer a=\"unterminated",
            "Bearer a=\"\\",
            "\"\"",
            "Bearer ,=,=",
            "ü Bearer scope=ü",
            "Bearer a==b",
            "Bearer x=y=z",
            "\u{0}\u{1}",
        ] {
            let _ = parse(h);
            let _ = bearer([h]);
        }
        assert!(parse(&"Bearer a=b, ".repeat(5000)).is_empty());
        let b = bearer(["Bearer a=\"unterminated"]).unwrap();
        assert!(b.scope.is_none());
    }
}
