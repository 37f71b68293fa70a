//! The dashboard's pages, rendered on the server from the same data the
//! CLI prints. maud escapes every value it interpolates, so a credential
//! name, a server's error text or a secret's note cannot inject markup.
//! There is no inline script or style anywhere (the Content-Security-Policy
//! forbids both): behaviour is in `app.js`, looks in `app.css`.

use maud::{DOCTYPE, Markup, html};

use crate::commands::secrets::ListedSecret;
use crate::commands::tokens::CredentialView;
use crate::credentials::PruneReport;
use crate::ipc::DaemonStatus;
use crate::model::{Credential, Event, Health, Timestamp, relative, rfc3339};

use super::Flash;

/// The sections in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Credentials,
    Secrets,
    Daemon,
    Prune,
    Audit,
}

const SECTIONS: [(Section, &str, &str); 5] = [
    (Section::Credentials, "/", "Credentials"),
    (Section::Secrets, "/secrets", "Secrets"),
    (Section::Daemon, "/daemon", "Daemon"),
    (Section::Prune, "/prune", "Prune"),
    (Section::Audit, "/audit", "Audit log"),
];

/// How often the daemon's page asks again: the daemon's own view changes
/// without a database change (it re-reads rows on its tick), so the event
/// stream does not cover it.
const DAEMON_POLL_SECS: u64 = 5;

/// Rows the credentials table shows at most; the filter narrows the rest.
pub const MAX_ROWS: usize = 1000;

/// What every page shares: the header, the flash message, the CSRF token
/// the forms carry.
pub struct Frame<'a> {
    pub csrf: &'a str,
    pub flash: Option<&'a Flash>,
    pub now: Timestamp,
}

pub fn layout(frame: &Frame<'_>, section: Section, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · mcp-auth" }
                link rel="stylesheet" href="/app.css";
                link rel="icon" href="/favicon.svg" type="image/svg+xml";
                script src="/app.js" defer {}
            }
            body {
                header {
                    a.brand href="/" { "mcp-auth" }
                    nav {
                        @for (s, href, label) in SECTIONS {
                            @if s == section {
                                a.current href=(href) aria-current="page" { (label) }
                            } @else {
                                a href=(href) { (label) }
                            }
                        }
                    }
                    span #live title="Changes made elsewhere appear here as they happen" { "live" }
                }
                main data-now=(frame.now) data-poll=[(section == Section::Daemon).then_some(DAEMON_POLL_SECS)] {
                    @if let Some(f) = frame.flash {
                        div.flash.(if f.ok { "ok" } else { "failed" }) role="status" {
                            @for line in &f.lines { p { (line) } }
                        }
                    }
                    (body)
                }
            }
        }
    }
}

/// A moment that counts (the script keeps the text current).
fn moment(at: Option<Timestamp>, now: Timestamp, none: &str) -> Markup {
    match at {
        Some(t) => html! {
            time.rel datetime=(rfc3339(t)) data-at=(t) title=(rfc3339(t)) { (relative(t, now)) }
        },
        None => html! { span.none { (none) } },
    }
}

fn health_badge(h: Health) -> Markup {
    let class = match h {
        Health::Valid => "valid",
        Health::ExpiringSoon => "soon",
        Health::Refreshable => "refreshable",
        Health::Expired => "expired",
        Health::NeedsLogin => "login",
    };
    html! { span.badge.(class) { (h.as_str()) } }
}

fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}

fn user_of(v: &CredentialView) -> &str {
    v.user
        .as_deref()
        .or(v.email.as_deref())
        .or(v.subject.as_deref())
        .unwrap_or("-")
}

/// The credential filter as given in the query.
#[derive(Debug, Default)]
pub struct Filter {
    pub q: String,
    pub health: Option<Health>,
}

impl Filter {
    pub fn matches(&self, v: &CredentialView) -> bool {
        let q = self.q.trim().to_lowercase();
        self.health.is_none_or(|h| v.health == h) && (q.is_empty() || search_text(v).contains(&q))
    }
}

/// What the search box looks in: name, provider or server, user, scopes.
fn search_text(v: &CredentialView) -> String {
    [
        v.name.as_str(),
        v.provider.as_deref().unwrap_or(""),
        v.server_url.as_deref().unwrap_or(""),
        user_of(v),
        &v.scopes.join(" "),
    ]
    .join(" ")
    .to_lowercase()
}

const HEALTHS: [Health; 5] = [
    Health::Valid,
    Health::ExpiringSoon,
    Health::Refreshable,
    Health::Expired,
    Health::NeedsLogin,
];

/// The overview: every credential, with the daemon in a line above.
pub fn credentials(
    frame: &Frame<'_>,
    rows: &[CredentialView],
    total: usize,
    filter: &Filter,
    daemon: &Result<Option<DaemonStatus>, String>,
    logins: &[(String, String)],
) -> Markup {
    let now = frame.now;
    let body = html! {
        section.summary {
            (daemon_line(daemon, now))
            @for (name, state) in logins {
                p.login-note { "Login for " a href=(detail_href(name)) { (name) } ": " (state) }
            }
        }
        form.filters method="get" action="/" {
            input #q type="search" name="q" value=(filter.q) placeholder="Search name, server, user, scope" aria-label="Search";
            select #health name="health" aria-label="Health" {
                option value="" { "any health" }
                @for h in HEALTHS {
                    option value=(h.as_str()) selected[filter.health == Some(h)] { (h.as_str()) }
                }
            }
            button type="submit" { "Filter" }
        }
        @if total == 0 {
            p.empty { "No credentials saved. Log in with " code { "mcp-auth login <provider | MCP server URL>" } "." }
        } @else {
            form #bulk method="post" action="/revoke" data-confirm="Revoke the selected credentials at their providers and delete them here?" {
                (csrf_field(frame.csrf))
                input type="hidden" name="back" value="/";
                div.toolbar {
                    button.danger #revoke-selected type="submit" { "Revoke selected" }
                    span.count { (rows.len()) " of " (total) " credential(s)"
                        @if rows.len() >= MAX_ROWS { " (the first " (MAX_ROWS) "; narrow with the filter)" } }
                }
                table #credentials {
                    thead { tr {
                        th { input #select-all type="checkbox" aria-label="Select all"; }
                        th { "Name" } th { "Provider / server" } th { "User" } th { "Scopes" }
                        th { "Health" } th { "Expires" } th { "Last used" } th { "May go to" }
                    } }
                    tbody {
                        @for v in rows {
                            tr data-name=(v.name) data-search=(search_text(v)) {
                                td { input type="checkbox" name="name" value=(v.name) aria-label={ "Select " (v.name) }; }
                                td { a href=(detail_href(&v.name)) { (v.name) } }
                                td.wrap { (v.provider.as_deref().or(v.server_url.as_deref()).unwrap_or("-")) }
                                td { (user_of(v)) }
                                td.wrap { @if v.scopes.is_empty() { span.none { "-" } } @else { (v.scopes.join(" ")) } }
                                td { (health_badge(v.health)) }
                                td { (moment(v.expires_at.as_deref().and_then(crate::model::parse_rfc3339), now, "never")) }
                                td { (moment(v.last_used_at.as_deref().and_then(crate::model::parse_rfc3339), now, "never")) }
                                td.wrap { @if v.allowed_origins.is_empty() { span.none { "nowhere" } } @else { (v.allowed_origins.join(" ")) } }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(frame, Section::Credentials, "Credentials", body)
}

fn daemon_line(daemon: &Result<Option<DaemonStatus>, String>, now: Timestamp) -> Markup {
    html! {
        p.daemon {
            @match daemon {
                Ok(Some(s)) => {
                    span.badge.valid { "daemon running" } " "
                    (s.watched) " kept valid, " (s.needs_login) " need a login. Next refresh: "
                    @match &s.next_refresh {
                        Some(n) => { a href=(detail_href(&n.name)) { (n.name) } " " (moment(Some(n.at), now, "-")) }
                        None => { "none planned" }
                    }
                    " · " a href="/daemon" { "details" }
                }
                Ok(None) => {
                    span.badge.expired { "daemon not running" } " "
                    "Tokens are refreshed only when used. Start it with " code { "mcp-auth daemon start" } "."
                }
                Err(e) => { span.badge.expired { "daemon" } " " (e) }
            }
        }
    }
}

pub fn detail_href(name: &str) -> String {
    let q: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
    format!("/credential?name={q}")
}

/// One credential: every field, the actions, its audit events. A
/// credential that is gone (revoked, pruned) still shows its events.
pub fn credential(
    frame: &Frame<'_>,
    name: &str,
    found: Option<(&CredentialView, &Credential)>,
    events: &[Event],
    login: Option<&str>,
) -> Markup {
    let now = frame.now;
    let back = detail_href(name);
    let body = html! {
        p.crumbs { a href="/" { "Credentials" } " / " (name) }
        @if let Some((v, c)) = found {
            h1 { (v.name) " " (health_badge(v.health)) }
            @if let Some(state) = login { p.login-note { "Login: " (state) } }
            div.actions {
                form method="post" action="/refresh" {
                    (csrf_field(frame.csrf))
                    input type="hidden" name="name" value=(v.name);
                    input type="hidden" name="back" value=(back);
                    button #refresh type="submit" { "Refresh now" }
                }
                form method="post" action="/login" {
                    (csrf_field(frame.csrf))
                    input type="hidden" name="name" value=(v.name);
                    input type="hidden" name="back" value=(back);
                    button #login type="submit" title="Starts the same login as `mcp-auth login`; the browser opens on the provider's page" { "Log in again" }
                }
                form method="post" action="/revoke" data-confirm={ "Revoke " (v.name) " at its provider and delete it here?" } {
                    (csrf_field(frame.csrf))
                    input type="hidden" name="name" value=(v.name);
                    input type="hidden" name="back" value="/";
                    button.danger #revoke type="submit" { "Revoke" }
                }
            }
            dl.fields {
                dt { (if v.kind == "provider" { "provider" } else { "server" }) }
                dd { (v.provider.as_deref().or(v.server_url.as_deref()).unwrap_or("-")) }
                dt { "may go to" }
                dd { @if v.allowed_origins.is_empty() {
                        "nowhere (allow with " code { "mcp-auth tokens allow " (v.name) " URL" } ")"
                    } @else { (v.allowed_origins.join(" ")) } }
                dt { "user" } dd { (user_of(v)) }
                dt { "email" } dd { (v.email.as_deref().unwrap_or("-")) }
                dt { "subject" } dd { (v.subject.as_deref().unwrap_or("-")) }
                dt { "scopes" } dd { @if v.scopes.is_empty() { "-" } @else { (v.scopes.join(" ")) } }
                dt { "status" } dd { (v.status) }
                dt { "expires" } dd { (moment(c.access_expires_at, now, "never")) }
                dt { "refresh token" } dd {
                    @if !c.has_refresh_token { "none" }
                    @else if let Some(t) = c.refresh_expires_at { "yes, expires " (moment(Some(t), now, "-")) }
                    @else { "yes" }
                }
                dt { "renewable" } dd { (if v.renewable { "yes" } else { "no" }) }
                dt { "grant" } dd { (v.grant) }
                dt { "client id" } dd { (v.client_id) }
                dt { "client auth" } dd { (v.token_endpoint_auth_method) }
                dt { "issuer" } dd { (v.issuer.as_deref().unwrap_or("-")) }
                dt { "resource" } dd { (v.resource.as_deref().unwrap_or("-")) }
                dt { "token endpoint" } dd { (c.token_url) }
                dt { "revocation" } dd { (c.revocation_url.as_deref().unwrap_or("-")) }
                dt { "created" } dd { (moment(Some(c.created_at), now, "-")) }
                dt { "last used" } dd { (moment(c.last_used_at, now, "never")) }
                dt { "last refreshed" } dd { (moment(c.last_refreshed_at, now, "never")) }
                @if let Some(e) = &v.last_error { dt { "last error" } dd.error { (e) } }
            }
        } @else {
            h1 { (name) }
            p.gone { "No credential of this name is saved now (revoked, pruned, or never saved). Its audit events stay until retention removes them." }
        }
        h2 { "Audit events" }
        (events_table(events, now, false))
    };
    layout(frame, Section::Credentials, name, body)
}

fn events_table(events: &[Event], now: Timestamp, with_name: bool) -> Markup {
    html! {
        @if events.is_empty() {
            p.empty { "No events." }
        } @else {
            table.events {
                thead { tr {
                    th { "When" }
                    @if with_name { th { "Credential" } }
                    th { "Event" } th { "Detail" }
                } }
                tbody {
                    @for e in events {
                        tr {
                            td { (moment(Some(e.at), now, "-")) }
                            @if with_name {
                                td { @match &e.credential {
                                    Some(n) => a href=(detail_href(n)) { (n) },
                                    None => span.none { "-" },
                                } }
                            }
                            td { code { (e.kind) } }
                            td.wrap { (e.detail.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    }
}

pub fn audit(frame: &Frame<'_>, events: &[Event], limit: usize) -> Markup {
    let body = html! {
        h1 { "Audit log" }
        p.note { "The newest " (limit) " events, deleted credentials' included. "
            code { "mcp-auth audit" } " filters and lists them all." }
        (events_table(events, frame.now, true))
    };
    layout(frame, Section::Audit, "Audit log", body)
}

pub fn secrets(frame: &Frame<'_>, secrets: &[ListedSecret]) -> Markup {
    let now = frame.now;
    let body = html! {
        h1 { "Secrets" }
        p.note { "Static secrets the bridge puts in headers (" code { "{secret:NAME}" } "). Their values never leave the secret store; this page shows none." }
        @if secrets.is_empty() {
            p.empty { "No secrets saved. Add one with " code { "mcp-auth secrets set NAME" } "." }
        } @else {
            table #secrets {
                thead { tr { th { "Name" } th { "Note" } th { "Health" } th { "Expires" } th { "Last used" } th { "Updated" } th { "May go to" } th {} } }
                tbody {
                    @for listed in secrets {
                        @let s = &listed.meta;
                        tr data-name=(s.name) {
                            td { (s.name) }
                            td.wrap { (s.note.as_deref().unwrap_or("")) }
                            td { (health_badge(listed.health)) }
                            td { (moment(s.expires_at, now, "never")) }
                            td { (moment(s.last_used_at, now, "never")) }
                            td { (moment(Some(s.updated_at), now, "-")) }
                            td.wrap { @if listed.allowed_origins.is_empty() { span.none { "nowhere" } } @else { (listed.allowed_origins.join(" ")) } }
                            td {
                                form method="post" action="/secrets/delete" data-confirm={ "Delete the secret " (s.name) "?" } {
                                    (csrf_field(frame.csrf))
                                    input type="hidden" name="name" value=(s.name);
                                    input type="hidden" name="back" value="/secrets";
                                    button.danger type="submit" { "Delete" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(frame, Section::Secrets, "Secrets", body)
}

pub fn daemon(frame: &Frame<'_>, daemon: &Result<Option<DaemonStatus>, String>) -> Markup {
    let now = frame.now;
    let body = html! {
        h1 { "Daemon" }
        @match daemon {
            Ok(Some(s)) => {
                dl.fields {
                    dt { "status" } dd { "running (pid " (s.pid) ", since " (moment(Some(s.started_at), now, "-")) ")" }
                    dt { "version" } dd { (s.version) " (protocol " (s.protocol) ")" }
                    dt { "credentials" } dd { (s.credentials) " (" (s.watched) " kept valid, " (s.needs_login) " need a login, " (s.backing_off) " retrying after a failure)" }
                    dt { "refreshes" } dd { (s.refreshes) " done, " (s.refresh_failures) " failed since start" }
                    dt { "refresh ahead" } dd { "at most " (humantime::format_duration(std::time::Duration::from_secs(s.refresh_ahead_secs))) }
                    dt { "last prune" } dd { @match &s.last_prune {
                        Some(p) => { (moment(Some(p.at), now, "-")) ": " (p.deleted) " of " (p.examined) " deleted" }
                        None => { "none yet" }
                    } }
                    dt { "next prune" } dd { (moment(s.next_prune_at, now, "-")) " (retention " (s.retention_days) " days)" }
                    dt { "logs" } dd { (s.log_file.as_deref().unwrap_or("stderr")) }
                }
                h2 { "Next refreshes" }
                @if s.upcoming.is_empty() && s.next_refresh.is_none() {
                    p.empty { "None planned: no credential the daemon keeps valid expires." }
                } @else {
                    table #upcoming {
                        thead { tr { th { "Credential" } th { "Due" } } }
                        tbody {
                            @for n in upcoming(s) {
                                tr { td { a href=(detail_href(&n.name)) { (n.name) } } td { (moment(Some(n.at), now, "-")) } }
                            }
                        }
                    }
                }
            }
            Ok(None) => {
                p { span.badge.expired { "not running" } }
                p { "Without the daemon, tokens are refreshed when something asks for them and nothing prunes. Start it with "
                    code { "mcp-auth daemon start" } ", or install it as a user service with " code { "mcp-auth daemon install" } "." }
            }
            Err(e) => { p.error { (e) } }
        }
    };
    layout(frame, Section::Daemon, "Daemon", body)
}

/// The daemon's planned refreshes, soonest first (older daemons report
/// only the next one).
fn upcoming(s: &DaemonStatus) -> Vec<&crate::ipc::NextRefresh> {
    if s.upcoming.is_empty() {
        s.next_refresh.iter().collect()
    } else {
        s.upcoming.iter().collect()
    }
}

/// Names a prune preview lists.
pub const PREVIEW_NAMES: usize = 200;

pub fn prune(frame: &Frame<'_>, days: u32, report: &PruneReport, names: &[String]) -> Markup {
    let body = html! {
        h1 { "Prune" }
        p.note { "A prune deletes credentials that have been dead (expired without a way to renew, or needing a login) for more than the retention period, and audit events older than it. The daemon does this on its own every day." }
        form.filters method="get" action="/prune" {
            label for="days" { "Retention (days)" }
            input #days type="number" name="days" min="0" max="36500" value=(days);
            button type="submit" { "Preview" }
        }
        p #preview {
            (report.deleted) " of " (report.examined) " credential(s) would be deleted."
        }
        @if !names.is_empty() {
            ul.names {
                @for n in names { li { a href=(detail_href(n)) { (n) } } }
                @if report.deleted > names.len() { li { "and " (report.deleted - names.len()) " more" } }
            }
        }
        form method="post" action="/prune" data-confirm="Delete these credentials and old audit events now?" {
            (csrf_field(frame.csrf))
            input type="hidden" name="days" value=(days);
            input type="hidden" name="back" value={ "/prune?days=" (days) };
            button.danger #prune-now type="submit" { "Prune now" }
        }
    };
    layout(frame, Section::Prune, "Prune", body)
}

/// A refusal or a missing page, with nothing from the request in it.
pub fn problem(status: u16, message: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "mcp-auth" }
                link rel="stylesheet" href="/app.css";
            }
            body { main { h1 { (status) } p { (message) } } }
        }
    }
}

/// The page `/start` answers with: the cookie is set by this response, and
/// the move to `/` is a navigation from this page (same-site), so the
/// browser sends the `SameSite=Strict` cookie with it. (After a redirect
/// that began at another site or a file, it would not.)
pub fn started() -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="refresh" content="0;url=/";
                title { "mcp-auth" }
            }
            body { p { "Signed in. " a href="/" { "Open the dashboard" } "." } }
        }
    }
}

/// The page the browser is opened on: a 0600 file in the runtime
/// directory that moves to the address with the key. The key so never
/// appears in a command line (`ps` shows a browser's arguments to every
/// user of the machine).
pub fn opener(start_url: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="refresh" content={ "0;url=" (start_url) };
                title { "mcp-auth" }
            }
            body { p { a href=(start_url) { "Open the mcp-auth dashboard" } } }
        }
    }
}
