//! One behaviour suite, run against every store.

mod shared;

use shared::*;
use store::*;

#[test]
fn memory_store() {
    suite(Box::leak(Box::new(MemoryStore::new())));
}

#[test]
fn cached_memory_store() {
    let inner: std::sync::Arc<dyn Store> = std::sync::Arc::new(MemoryStore::new());
    suite(Box::leak(Box::new(CachedStore::new(inner))));
}

#[test]
fn sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(dir.path().join("db.sqlite"), SqliteOptions::default()).unwrap();
    suite(Box::leak(Box::new(s)));
}

#[test]
fn sqlite_store_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let m = sm("r");
    let e = exec(&m.arn, "e", 1);
    {
        let s = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
        s.write(vec![
            Write::PutStateMachine(m.clone()),
            Write::CreateExecution(e.clone()),
        ])
        .unwrap();
        s.write(vec![Write::Append(Append {
            execution_arn: e.arn.clone(),
            journal: Some(JournalEntry {
                seq: 1,
                at: 7,
                event: "ev".into(),
            }),
            events: vec![(1, "a".into())],
            timers_added: vec![(3, 42)],
            ..Default::default()
        })])
        .unwrap();
    }
    let s = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    assert_eq!(s.state_machine(&m.arn).unwrap(), Some(m));
    assert_eq!(s.open_executions().unwrap(), vec![e.clone()]);
    assert_eq!(s.journal(&e.arn).unwrap()[0].event, "ev");
    assert_eq!(s.timers(&e.arn).unwrap()[0].fire_at, 42);
    assert_eq!(s.history(&e.arn).unwrap(), vec![(1, "a".to_string())]);
}

#[test]
fn sqlite_migrates_a_database_from_before_schema_versions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let m = sm("old");
    {
        let s = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
        s.write(vec![Write::PutStateMachine(m.clone())]).unwrap();
    }
    // What a database written before versions (and before activities) looks like.
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("DROP TABLE activities; PRAGMA user_version = 0;")
            .unwrap();
    }
    let s = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    assert_eq!(s.state_machine(&m.arn).unwrap(), Some(m));
    let a = activity("worker", 3);
    s.write(vec![Write::CreateActivity {
        activity: a.clone(),
        tags: vec![],
    }])
    .unwrap();
    assert_eq!(s.activity(&a.arn).unwrap(), Some(a.clone()));
    s.close();
    drop(s);
    // Reopened: nothing applied twice (a second CREATE TABLE would fail), data kept.
    let s = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    assert_eq!(s.activity(&a.arn).unwrap(), Some(a));
    s.close();
    drop(s);

    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch("PRAGMA user_version = 9999;").unwrap();
    drop(c);
    match SqliteStore::open(&path, SqliteOptions::default()) {
        Ok(_) => panic!("a database newer than the build must be refused"),
        Err(e) => assert!(e.to_string().contains("schema version 9999"), "{e}"),
    }
}
