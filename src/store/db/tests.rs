//! The database's own tests: real SQLite files in temporary directories.

use super::credentials::upsert_in;
use super::events::event_query;
use super::migrations::MIGRATIONS;
use super::*;
use crate::model::{AuthMethod, Credential, EventKind, GrantKind, Lifecycle, Origin, Status};

pub(crate) fn sample(name: &str) -> Credential {
    Credential {
        name: name.into(),
        origin: Origin::Provider {
            provider: "github".into(),
        },
        issuer: Some("https://issuer".into()),
        resource: None,
        token_url: "https://issuer/token".into(),
        revocation_url: Some("https://issuer/revoke".into()),
        client_id: "client".into(),
        auth_method: AuthMethod::None,
        grant: GrantKind::AuthorizationCode,
        subject: Some("42".into()),
        username: Some("octo".into()),
        email: None,
        scopes: vec!["read".into(), "write".into()],
        has_refresh_token: true,
        created_at: 100,
        last_used_at: None,
        last_refreshed_at: None,
        access_expires_at: Some(1000),
        refresh_expires_at: None,
        status: Status::Active,
        status_changed_at: 100,
        last_error: None,
        generation: 1,
    }
}

fn open() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("t.db")).unwrap();
    (dir, db)
}

fn for_server(name: &str, server: &str, resource: &str) -> Credential {
    Credential {
        origin: Origin::McpServer {
            server_url: server.into(),
        },
        resource: Some(resource.into()),
        ..sample(name)
    }
}

#[test]
fn a_shared_credential_is_found_for_its_servers_until_it_changes_resource_or_goes() {
    let (_d, db) = open();
    let a = for_server("h", "https://h/a/mcp", "https://h");
    db.upsert(&a).unwrap();
    assert!(db.find_by_server("https://h/b/mcp").unwrap().is_empty());
    let shared = db.find_shared("https://issuer", "https://h").unwrap();
    assert_eq!(shared.len(), 1);
    assert!(
        db.find_shared("https://issuer", "https://h/a/mcp")
            .unwrap()
            .is_empty()
    );
    db.share_server("https://h/b/mcp", &a, 5).unwrap();
    let found = db.find_by_server("https://h/b/mcp").unwrap();
    assert_eq!(found[0].name, "h");
    // A server's own credential comes before one it shares.
    let own = Credential {
        created_at: 1,
        ..for_server("h-b", "https://h/b/mcp", "https://h/b/mcp")
    };
    db.upsert(&own).unwrap();
    let found = db.find_by_server("https://h/b/mcp").unwrap();
    assert_eq!(found[0].name, "h-b");
    assert_eq!(found.len(), 2);
    // Replaced by a login for another resource: no longer shared.
    db.upsert(&for_server("h", "https://h/a/mcp", "https://h/a/mcp"))
        .unwrap();
    let found = db.find_by_server("https://h/b/mcp").unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    // Deleted: the sharing goes with it, and a new credential of that
    // name is not found for the other server.
    db.upsert(&a).unwrap();
    db.share_server("https://h/b/mcp", &a, 6).unwrap();
    db.delete_journaled("h", "k", 7).unwrap();
    db.upsert(&a).unwrap();
    let found = db.find_by_server("https://h/b/mcp").unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].name, "h-b");
}

#[test]
fn a_pruned_credential_takes_its_sharing_servers_with_it() {
    let (_d, db) = open();
    let a = for_server("h", "https://h/a/mcp", "https://h");
    let kept = for_server("k", "https://k/a/mcp", "https://k");
    db.upsert(&a).unwrap();
    db.upsert(&kept).unwrap();
    db.share_server("https://h/b/mcp", &a, 5).unwrap();
    db.share_server("https://k/b/mcp", &kept, 5).unwrap();
    let (_, deleted) = db.prune_select(|_| true, false, false, "t:", 10).unwrap();
    assert_eq!(deleted, 2);
    // A new credential of that name is not found for the other server.
    db.upsert(&a).unwrap();
    assert!(db.find_by_server("https://h/b/mcp").unwrap().is_empty());
    // And nothing else is left behind in the table.
    let left: i64 = db
        .autocommit(|c| {
            Ok(c.query_row("SELECT count(*) FROM credential_servers", [], |r| r.get(0))?)
        })
        .unwrap();
    assert_eq!(left, 0);
}

#[test]
fn credential_round_trips() {
    let (_d, db) = open();
    let c = sample("gh");
    db.upsert(&c).unwrap();
    assert_eq!(db.get("gh").unwrap().unwrap(), c);
    assert_eq!(db.list().unwrap().len(), 1);
    assert!(db.get("nope").unwrap().is_none());
}

#[test]
fn relogin_keeps_created_at() {
    let (_d, db) = open();
    db.upsert(&sample("gh")).unwrap();
    let mut again = sample("gh");
    again.created_at = 999;
    again.generation = 5;
    db.upsert(&again).unwrap();
    let got = db.get("gh").unwrap().unwrap();
    assert_eq!(got.created_at, 100);
    assert_eq!(got.generation, 5);
}

#[test]
fn refresh_never_goes_back_a_generation() {
    let (_d, db) = open();
    db.upsert(&sample("gh")).unwrap();
    let u = |generation| RefreshUpdate {
        access_expires_at: Some(5000 + generation),
        refresh_expires_at: None,
        has_refresh_token: true,
        scopes: None,
        generation,
        at: 200,
    };
    assert!(db.record_refresh("gh", &u(3)).unwrap());
    assert!(
        !db.record_refresh("gh", &u(2)).unwrap(),
        "older write must lose"
    );
    let got = db.get("gh").unwrap().unwrap();
    assert_eq!(got.generation, 3);
    assert_eq!(got.access_expires_at, Some(5003));
    assert_eq!(got.scopes, vec!["read", "write"]);
}

#[test]
fn status_change_time_is_kept_when_status_repeats() {
    let (_d, db) = open();
    db.upsert(&sample("gh")).unwrap();
    db.set_status("gh", Status::NeedsLogin, Some("invalid_grant"), 300)
        .unwrap();
    db.set_status("gh", Status::NeedsLogin, Some("invalid_grant"), 400)
        .unwrap();
    let got = db.get("gh").unwrap().unwrap();
    assert_eq!(got.status, Status::NeedsLogin);
    assert_eq!(got.status_changed_at, 300);
    assert_eq!(got.last_error.as_deref(), Some("invalid_grant"));
}

#[test]
fn events_are_newest_first_and_prunable() {
    let (_d, db) = open();
    db.add_event(Some("a"), EventKind::Login, None, 10).unwrap();
    db.add_event(Some("a"), EventKind::Use, Some("x"), 20)
        .unwrap();
    db.add_event(Some("b"), EventKind::Login, None, 30).unwrap();
    let ev = db.events(Some("a"), 10).unwrap();
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0].kind, "use");
    assert_eq!(db.prune_events(25).unwrap(), 2);
    assert_eq!(db.events(None, 10).unwrap().len(), 1);
}

#[test]
fn events_outlive_their_credential() {
    let (_d, db) = open();
    db.upsert(&sample("gone")).unwrap();
    db.add_event(Some("gone"), EventKind::Login, None, 10)
        .unwrap();
    assert!(db.delete_journaled("gone", "credential/gone", 20).unwrap());
    let ev = db.events(Some("gone"), 10).unwrap();
    assert_eq!(ev.len(), 1, "deleting a credential deleted its events");
}

#[test]
fn the_event_filter_picks_by_name_kind_and_time_newest_first() {
    let (_d, db) = open();
    for (name, kind, at) in [
        (Some("a"), EventKind::Login, 10),
        (Some("b"), EventKind::Login, 10),
        (Some("a"), EventKind::Use, 20),
        (None, EventKind::Prune, 30),
        (Some("a"), EventKind::Revoke, 30),
    ] {
        db.add_event(name, kind, None, at).unwrap();
    }
    let pick = |filter: EventFilter| {
        let mut got = Vec::new();
        db.read_events(|log| {
            log.each(&filter, |e| {
                got.push(format!(
                    "{}:{}@{}",
                    e.credential.as_deref().unwrap_or("-"),
                    e.kind,
                    e.at
                ));
                Ok(())
            })
        })
        .unwrap();
        got
    };
    assert_eq!(
        pick(EventFilter::default()),
        [
            "a:revoke@30",
            "-:prune@30",
            "a:use@20",
            "b:login@10",
            "a:login@10"
        ]
    );
    let a = EventFilter {
        credential: Some("a"),
        ..EventFilter::default()
    };
    assert_eq!(pick(a.clone()), ["a:revoke@30", "a:use@20", "a:login@10"]);
    assert_eq!(
        pick(EventFilter {
            kinds: vec![EventKind::Login, EventKind::Prune],
            ..EventFilter::default()
        }),
        ["-:prune@30", "b:login@10", "a:login@10"]
    );
    assert_eq!(
        pick(EventFilter {
            since: Some(20),
            limit: Some(2),
            ..a
        }),
        ["a:revoke@30", "a:use@20"]
    );
}

#[test]
fn the_audit_log_is_read_in_index_order_without_a_sort() {
    // A sort would have to see every row before the first is printed.
    let (_d, db) = open();
    let all = EventFilter::default();
    let plans = [
        all.clone(),
        EventFilter {
            credential: Some("a"),
            ..all.clone()
        },
        EventFilter {
            credential: Some("a"),
            since: Some(5),
            kinds: vec![EventKind::Use, EventKind::Login],
            limit: Some(3),
        },
        EventFilter {
            since: Some(5),
            kinds: vec![EventKind::Prune],
            ..all.clone()
        },
    ];
    for filter in plans {
        let (sql, args) = event_query(&filter);
        let plan: Vec<String> = db.with_conn(|c| {
            let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            stmt.query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(3))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        });
        let plan = plan.join("; ");
        assert!(!plan.contains("TEMP B-TREE"), "{sql}: {plan}");
        assert!(plan.contains("INDEX events_"), "{sql}: {plan}");
    }
}

#[test]
fn migrations_run_once_and_newer_schemas_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let db = Db::open(&path).unwrap();
    assert_eq!(db.schema_version().unwrap(), SCHEMA_VERSION);
    drop(db);
    let db = Db::open(&path).unwrap();
    db.with_conn(|c| c.pragma_update(None, "user_version", 99))
        .unwrap();
    drop(db);
    let err = Db::open(&path).err().unwrap();
    assert!(err.to_string().contains("newer mcp-auth"), "{err}");
}

#[test]
fn credentials_move_to_the_table_keyed_by_name_with_every_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let c = sample("gh");
    let mut server = sample("mcp");
    server.origin = Origin::McpServer {
        server_url: "https://mcp.example.com/mcp".into(),
    };
    server.last_error = Some("invalid_grant".into());
    {
        // A database as the previous version left it.
        let conn = Connection::open(&path).unwrap();
        for sql in &MIGRATIONS[..4] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 4).unwrap();
        upsert_in(&conn, &c).unwrap();
        upsert_in(&conn, &server).unwrap();
        conn.execute(
            "UPDATE credentials SET allowed_origins = 'https://api.github.com' WHERE name = 'gh'",
            [],
        )
        .unwrap();
    }
    let db = Db::open(&path).unwrap();
    assert_eq!(db.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(db.get("gh").unwrap().unwrap(), c);
    assert_eq!(db.get("mcp").unwrap().unwrap(), server);
    assert_eq!(
        db.allowed_origins(Holder::Token, "gh").unwrap().unwrap(),
        ["https://api.github.com"]
    );
    assert_eq!(
        db.find_by_server("https://mcp.example.com/mcp").unwrap(),
        vec![server]
    );
    let (rowid, plan): (bool, String) = db.with_conn(|conn| {
        let rowid = conn.prepare("SELECT rowid FROM credentials").is_ok();
        let plan = conn
            .query_row(
                "EXPLAIN QUERY PLAN SELECT name FROM credentials \
                 WHERE origin_kind = 'mcp_server' AND origin = 'x'",
                [],
                |r| r.get(3),
            )
            .unwrap();
        (rowid, plan)
    });
    assert!(!rowid, "the credentials table still has a rowid");
    assert!(plan.contains("INDEX credentials_origin"), "{plan}");
    assert_eq!(db.integrity_check().unwrap(), "ok");
}

#[test]
fn prune_deletes_nothing_when_its_second_look_disagrees_with_its_choice() {
    // The rows are chosen, then deleted by asking again; a choice that
    // changed in between must not delete a different set.
    let (_d, db) = open();
    for name in ["a", "b", "c"] {
        db.upsert(&sample(name)).unwrap();
    }
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let fickle = {
        let calls = calls.clone();
        move |_: &Lifecycle| calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < 4
    };
    let err = db
        .prune_select(fickle, false, true, "credential/", 10)
        .unwrap_err();
    assert!(err.to_string().contains("nothing was deleted"), "{err}");
    assert_eq!(db.list().unwrap().len(), 3);
    assert!(db.journal_older_than(i64::MAX).unwrap().is_empty());
    // The choice itself, asked the same twice, deletes exactly it.
    let (examined, selected) = db
        .prune_select(
            |l| l.status_changed_at == 100,
            false,
            true,
            "credential/",
            10,
        )
        .unwrap();
    assert_eq!((examined, selected), (3, 3));
    assert!(db.list().unwrap().is_empty());
}

#[test]
fn a_corrupt_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    std::fs::write(&path, vec![0x42u8; 8192]).unwrap();
    let err = Db::open(&path).err().unwrap();
    assert!(err.to_string().contains("not a valid database"), "{err}");
    assert_eq!(err.exit_code(), crate::error::exit::STORAGE);
}

#[test]
fn many_first_opens_of_a_new_database_at_once_all_succeed() {
    // Regression: switching a new file to WAL answered "busy" at once
    // to a second opener, failing the first commands of a fresh install.
    for _ in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        std::thread::scope(|s| {
            for _ in 0..6 {
                s.spawn(|| Db::open(&path).unwrap().upsert(&sample("x")).unwrap());
            }
        });
    }
}

#[test]
fn data_version_moves_only_for_other_connections() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let mine = Db::open(&path).unwrap();
    let other = Db::open(&path).unwrap();
    let v0 = mine.data_version().unwrap();
    mine.upsert(&sample("a")).unwrap();
    assert_eq!(mine.data_version().unwrap(), v0);
    other.upsert(&sample("b")).unwrap();
    assert_ne!(mine.data_version().unwrap(), v0);
}

#[test]
fn registrations_round_trip() {
    let (_d, db) = open();
    let r = Registration {
        issuer: "https://as".into(),
        redirect_uri: "http://127.0.0.1/callback".into(),
        client_id: "dyn-1".into(),
        auth_method: AuthMethod::ClientSecretPost,
        has_secret: true,
        client_secret_expires_at: None,
        registered_at: 5,
        worked_at: None,
    };
    db.put_registration_journaled(&r, "client/https://as/dyn-1")
        .unwrap();
    assert_eq!(
        db.registration("https://as", "http://127.0.0.1/callback")
            .unwrap(),
        Some(r.clone())
    );
    db.mark_registration_worked("https://as", "dyn-1", 9)
        .unwrap();
    assert_eq!(
        db.registration("https://as", "http://127.0.0.1/callback")
            .unwrap()
            .unwrap()
            .worked_at,
        Some(9)
    );
    db.delete_registration("https://as", "http://127.0.0.1/callback")
        .unwrap();
    assert!(
        db.registration("https://as", "http://127.0.0.1/callback")
            .unwrap()
            .is_none()
    );
}
