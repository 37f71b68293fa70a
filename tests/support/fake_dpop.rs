//! A fake authorization server and MCP resource server for sender-
//! constrained tokens (RFC 9449) and workload identity (RFC 7523
//! jwt-bearer), on 127.0.0.1:0, that checks what it receives:
//!
//! - the token endpoint wants a DPoP proof on every request (typ, alg
//!   ES256, a public `jwk` only, the signature, `htm` POST, `htu` its own
//!   URL, a fresh `iat` and `jti`), with [`Knobs::as_nonce`] the nonce it
//!   hands out on `use_dpop_nonce`; it binds each token to the proof key's
//!   RFC 7638 thumbprint, refreshes only with the same key, and answers
//!   `token_type: DPoP`;
//! - the resource refuses `Bearer` (and counts it), checks the proof again
//!   with `ath` (the token's hash) and the key bound to the token, and with
//!   [`Knobs::rs_nonce`] asks for its own nonce first;
//! - the jwt-bearer grant records each assertion it receives;
//! - [`FakeDpop::move_to`] hands the resource over to another instance's
//!   authorization server (SEP-2352): its metadata names that one, and it
//!   takes only that one's tokens from then on.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde_json::{Value, json};

#[derive(Clone, Debug, Default)]
pub struct Knobs {
    /// The authorization server requires this nonce in token request proofs.
    pub as_nonce: Option<String>,
    /// The resource server requires this nonce in its proofs.
    pub rs_nonce: Option<String>,
    pub access_ttl: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Seen {
    pub registrations: usize,
    /// Client ids presented at the token endpoint (none for jwt-bearer
    /// without one).
    pub client_ids: Vec<String>,
    pub authorizations: usize,
    pub token_requests: usize,
    pub as_nonce_challenges: usize,
    pub rs_nonce_challenges: usize,
    pub bearer_refused: usize,
    pub mcp_ok: usize,
    /// Every proof problem found, by either server.
    pub errors: Vec<String>,
    /// Thumbprints of the keys tokens were bound to, in order.
    pub bound_keys: Vec<String>,
    /// Assertions received by the jwt-bearer grant, in order.
    pub assertions: Vec<String>,
    pub grants: Vec<String>,
}

struct Inner {
    url: String,
    knobs: Knobs,
    seen: Seen,
    counter: u64,
    /// access or refresh token -> the jkt it is bound to ("" for bearer).
    bound: HashMap<String, String>,
    jtis: HashSet<String>,
    /// The authorization server the resource now trusts instead.
    moved_to: Option<(String, Arc<Mutex<Inner>>)>,
}

pub struct FakeDpop {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    _served: super::served::Served,
}

type Shared = State<Arc<Mutex<Inner>>>;

impl FakeDpop {
    pub fn start(knobs: Knobs) -> FakeDpop {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let inner = Arc::new(Mutex::new(Inner {
            url: url.clone(),
            knobs,
            seen: Seen::default(),
            counter: 0,
            bound: HashMap::new(),
            jtis: HashSet::new(),
            moved_to: None,
        }));
        let app = Router::new()
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/register", post(register))
            .route("/mcp", post(mcp))
            .route("/.well-known/oauth-protected-resource/mcp", get(prm))
            .route("/.well-known/oauth-authorization-server", get(metadata))
            .with_state(inner.clone());
        FakeDpop {
            url,
            inner,
            _served: super::served::Served::start(listener, app),
        }
    }

    pub fn mcp_url(&self) -> String {
        format!("{}/mcp", self.url)
    }

    /// From now on the resource names `other`'s authorization server in
    /// its metadata and takes only tokens `other` issued.
    pub fn move_to(&self, other: &FakeDpop) {
        self.inner.lock().unwrap().moved_to = Some((other.url.clone(), other.inner.clone()));
    }

    pub fn seen(&self) -> Seen {
        self.inner.lock().unwrap().seen.clone()
    }

    /// Checks a proof as the resource server would, for a request of
    /// `method` to its /mcp carrying `token`: `Ok(())` or the problem.
    pub fn check_resource_proof(
        &self,
        proof: &str,
        token: &str,
        method: &str,
    ) -> Result<(), String> {
        let mut inner = self.inner.lock().unwrap();
        let url = format!("{}/mcp", inner.url);
        let jkt = check_proof(&mut inner, proof, method, &url, None)?;
        check_binding(&inner, proof, token, &jkt)
    }
}

fn b64d(s: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| "not base64url".to_string())
}

fn b64e(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// RFC 9449 §4.3 checks; returns the key's RFC 7638 thumbprint.
fn check_proof(
    inner: &mut Inner,
    proof: &str,
    htm: &str,
    htu: &str,
    nonce: Option<&str>,
) -> Result<String, String> {
    let parts: Vec<&str> = proof.split('.').collect();
    if parts.len() != 3 {
        return Err("the proof is not a JWS".into());
    }
    let header: Value = serde_json::from_slice(&b64d(parts[0])?).map_err(|e| e.to_string())?;
    let claims: Value = serde_json::from_slice(&b64d(parts[1])?).map_err(|e| e.to_string())?;
    if header["typ"] != "dpop+jwt" || header["alg"] != "ES256" {
        return Err(format!("bad typ/alg: {header}"));
    }
    let jwk = &header["jwk"];
    if jwk.get("d").is_some() || jwk["kty"] != "EC" || jwk["crv"] != "P-256" {
        return Err("the jwk is not a public P-256 key".into());
    }
    let (x, y) = (
        jwk["x"].as_str().ok_or("no x")?,
        jwk["y"].as_str().ok_or("no y")?,
    );
    let mut point = vec![4u8];
    point.extend(b64d(x)?);
    point.extend(b64d(y)?);
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point)
        .verify(
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &b64d(parts[2])?,
        )
        .map_err(|_| "the proof's signature does not verify".to_string())?;
    if claims["htm"] != htm {
        return Err(format!("htm {} is not {htm}", claims["htm"]));
    }
    if claims["htu"] != htu {
        return Err(format!("htu {} is not {htu}", claims["htu"]));
    }
    let iat = claims["iat"].as_i64().ok_or("no iat")?;
    if (now() - iat).abs() > 60 {
        return Err("iat is not recent".into());
    }
    let jti = claims["jti"].as_str().ok_or("no jti")?.to_string();
    if !inner.jtis.insert(jti) {
        return Err("a proof was used twice (same jti)".into());
    }
    if let Some(n) = nonce
        && claims["nonce"] != n
    {
        return Err("nonce-missing".into());
    }
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    Ok(b64e(
        ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes()).as_ref(),
    ))
}

/// The resource server's extra checks: `ath` is the token's hash and the
/// proof key is the one the token is bound to.
fn check_binding(inner: &Inner, proof: &str, token: &str, jkt: &str) -> Result<(), String> {
    let claims: Value =
        serde_json::from_slice(&b64d(proof.split('.').nth(1).unwrap_or(""))?).unwrap_or_default();
    let ath = b64e(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref());
    if claims["ath"] != ath.as_str() {
        return Err("ath is not the hash of the token".into());
    }
    let bound = match &inner.moved_to {
        Some((_, other)) => other.lock().unwrap().bound.get(token).cloned(),
        None => inner.bound.get(token).cloned(),
    };
    match bound {
        Some(bound) if bound == jkt => Ok(()),
        Some(_) => Err("the proof key is not the one the token is bound to".into()),
        None => Err("unknown token".into()),
    }
}

async fn metadata(State(s): Shared) -> Response {
    let url = s.lock().unwrap().url.clone();
    axum::Json(json!({
        "issuer": url,
        "authorization_endpoint": format!("{url}/authorize"),
        "token_endpoint": format!("{url}/token"),
        "registration_endpoint": format!("{url}/register"),
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "grant_types_supported": ["authorization_code", "refresh_token",
            "urn:ietf:params:oauth:grant-type:jwt-bearer"],
        "dpop_signing_alg_values_supported": ["ES256"],
    }))
    .into_response()
}

async fn prm(State(s): Shared) -> Response {
    let inner = s.lock().unwrap();
    let url = inner.url.clone();
    let issuer = inner
        .moved_to
        .as_ref()
        .map_or(url.clone(), |(other, _)| other.clone());
    axum::Json(json!({"resource": format!("{url}/mcp"), "authorization_servers": [issuer]}))
        .into_response()
}

async fn register(State(s): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let mut inner = s.lock().unwrap();
    inner.seen.registrations += 1;
    inner.counter += 1;
    let mut answer = body;
    let port = inner.url.rsplit(':').next().unwrap_or("").to_string();
    answer["client_id"] = format!("client-{port}-{}", inner.counter).into();
    answer["token_endpoint_auth_method"] = "none".into();
    (StatusCode::CREATED, axum::Json(answer)).into_response()
}

async fn authorize(State(s): Shared, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut inner = s.lock().unwrap();
    inner.seen.authorizations += 1;
    inner.counter += 1;
    let mut to = url::Url::parse(&q["redirect_uri"]).unwrap();
    to.query_pairs_mut()
        .append_pair("code", &format!("code-{}", inner.counter))
        .append_pair("state", &q["state"]);
    Redirect::to(to.as_str()).into_response()
}

fn oauth_error(status: StatusCode, error: &str, nonce: Option<&str>) -> Response {
    let mut resp = (status, axum::Json(json!({"error": error}))).into_response();
    if let Some(n) = nonce {
        resp.headers_mut().insert("DPoP-Nonce", n.parse().unwrap());
    }
    resp
}

async fn token(
    State(s): Shared,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut inner = s.lock().unwrap();
    inner.seen.token_requests += 1;
    let grant = form.get("grant_type").cloned().unwrap_or_default();
    if let Some(id) = form.get("client_id") {
        inner.seen.client_ids.push(id.clone());
    }
    let url = format!("{}/token", inner.url);
    let nonce = inner.knobs.as_nonce.clone();
    let jkt = match headers.get("dpop").and_then(|v| v.to_str().ok()) {
        None => {
            inner.seen.errors.push(format!("{grant}: no DPoP proof"));
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof", None);
        }
        Some(proof) => match check_proof(&mut inner, proof, "POST", &url, nonce.as_deref()) {
            Ok(jkt) => jkt,
            Err(e) if e == "nonce-missing" => {
                // RFC 9449 §8.
                inner.seen.as_nonce_challenges += 1;
                return oauth_error(StatusCode::BAD_REQUEST, "use_dpop_nonce", nonce.as_deref());
            }
            Err(e) => {
                inner.seen.errors.push(format!("token endpoint: {e}"));
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof", None);
            }
        },
    };
    match grant.as_str() {
        "authorization_code" => {}
        "refresh_token" => {
            let rt = form.get("refresh_token").cloned().unwrap_or_default();
            match inner.bound.remove(&rt) {
                Some(bound) if bound == jkt => {}
                Some(_) => {
                    inner.seen.errors.push("refresh with another key".into());
                    return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", None);
                }
                None => return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", None),
            }
        }
        "urn:ietf:params:oauth:grant-type:jwt-bearer" => {
            let a = form.get("assertion").cloned().unwrap_or_default();
            inner.seen.assertions.push(a);
        }
        other => {
            inner.seen.errors.push(format!("unexpected grant {other}"));
            return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", None);
        }
    }
    inner.seen.grants.push(grant.clone());
    inner.counter += 1;
    let n = inner.counter;
    let (at, rt) = (format!("dpop-at-{n}"), format!("dpop-rt-{n}"));
    inner.bound.insert(at.clone(), jkt.clone());
    inner.seen.bound_keys.push(jkt.clone());
    let mut body = json!({
        "access_token": at,
        "token_type": "DPoP",
        "expires_in": if inner.knobs.access_ttl == 0 { 3600 } else { inner.knobs.access_ttl },
    });
    if grant != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
        inner.bound.insert(rt.clone(), jkt);
        body["refresh_token"] = rt.into();
    }
    axum::Json(body).into_response()
}

fn unauthorized(inner: &Inner, params: &str, nonce: Option<&str>) -> Response {
    let mut resp = (StatusCode::UNAUTHORIZED, "").into_response();
    let meta = format!("{}/.well-known/oauth-protected-resource/mcp", inner.url);
    let value = format!(r#"DPoP resource_metadata="{meta}", algs="ES256"{params}"#);
    resp.headers_mut()
        .insert("www-authenticate", value.parse().unwrap());
    if let Some(n) = nonce {
        resp.headers_mut().insert("DPoP-Nonce", n.parse().unwrap());
    }
    resp
}

async fn mcp(State(s): Shared, headers: HeaderMap, body: String) -> Response {
    let mut inner = s.lock().unwrap();
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let Some((scheme, token)) = auth.split_once(' ') else {
        return unauthorized(&inner, "", None);
    };
    if !scheme.eq_ignore_ascii_case("dpop") {
        // A stolen token is useless as a bearer token.
        inner.seen.bearer_refused += 1;
        return unauthorized(&inner, r#", error="invalid_token""#, None);
    }
    let url = format!("{}/mcp", inner.url);
    let nonce = inner.knobs.rs_nonce.clone();
    let Some(proof) = headers.get("dpop").and_then(|v| v.to_str().ok()) else {
        inner.seen.errors.push("mcp: no proof".into());
        return unauthorized(&inner, r#", error="invalid_dpop_proof""#, None);
    };
    let checked = check_proof(&mut inner, proof, "POST", &url, nonce.as_deref())
        .and_then(|jkt| check_binding(&inner, proof, token, &jkt));
    match checked {
        Ok(()) => {}
        Err(e) if e == "nonce-missing" => {
            inner.seen.rs_nonce_challenges += 1;
            return unauthorized(&inner, r#", error="use_dpop_nonce""#, nonce.as_deref());
        }
        Err(e) => {
            inner.seen.errors.push(format!("mcp: {e}"));
            return unauthorized(&inner, r#", error="invalid_token""#, None);
        }
    }
    inner.seen.mcp_ok += 1;
    let msg: Value = serde_json::from_str(&body).unwrap_or_default();
    let Some(id) = msg.get("id").cloned() else {
        return StatusCode::ACCEPTED.into_response();
    };
    let result = match msg["method"].as_str() {
        Some("initialize") => json!({
            "protocolVersion": "2025-11-25",
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "fake-dpop", "version": "1"}
        }),
        Some("tools/list") => json!({"tools": []}),
        _ => json!({}),
    };
    axum::Json(json!({"jsonrpc": "2.0", "id": id, "result": result})).into_response()
}
