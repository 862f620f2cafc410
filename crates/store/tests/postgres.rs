//! The store suite and PostgreSQL's own guarantees, against a real PostgreSQL (see
//! `pg/mod.rs` for where it comes from; each test has its own database).

mod pg;
mod shared;

use pg::TestDb;
use shared::*;
use std::sync::Arc;
use store::postgres::{PostgresStats, SCHEMA_VERSION};
use store::*;

// ---------------------------------------------------------------------------------------
// PostgreSQL's own guarantees.
// ---------------------------------------------------------------------------------------

fn open(db: &TestDb) -> PostgresStore {
    match PostgresStore::open(&db.url, PostgresOptions::default()) {
        Ok(s) => s,
        Err(e) => panic!("opening {}: {e}", db.name),
    }
}

fn all_versions() -> Vec<i32> {
    (1..=SCHEMA_VERSION).collect()
}

#[test]
fn postgres_store() {
    let Some(db) = TestDb::create("suite") else {
        return;
    };
    let s: &'static PostgresStore = Box::leak(Box::new(open(&db)));
    suite(s);
    s.close();
}

#[test]
fn migrations_are_versioned_applied_once_and_data_survives_reopen() {
    let Some(db) = TestDb::create("migrations") else {
        return;
    };
    let m = sm("r");
    let e = exec(&m.arn, "e", 1);
    {
        let s = open(&db);
        assert_eq!(s.schema_versions().unwrap(), all_versions());
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
    // A second start applies nothing again (a second CREATE TABLE would fail).
    let s = open(&db);
    assert_eq!(s.schema_versions().unwrap(), all_versions());
    assert_eq!(s.state_machine(&m.arn).unwrap(), Some(m));
    assert_eq!(s.open_executions().unwrap(), vec![e.clone()]);
    assert_eq!(s.journal(&e.arn).unwrap()[0].event, "ev");
    assert_eq!(s.timers(&e.arn).unwrap()[0].fire_at, 42);
    assert_eq!(s.history(&e.arn).unwrap(), vec![(1, "a".to_string())]);
    s.close();

    db.sql("INSERT INTO schema_version (version) VALUES (9999)")
        .unwrap();
    match PostgresStore::open(&db.url, PostgresOptions::default()) {
        Ok(_) => panic!("a database newer than the build must be refused"),
        Err(e) => assert!(e.to_string().contains("schema version 9999"), "{e}"),
    }
}

#[test]
fn nodes_starting_together_migrate_once() {
    let Some(db) = TestDb::create("concurrent_migrations") else {
        return;
    };
    let nodes: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url.clone();
            std::thread::spawn(move || {
                let s = PostgresStore::open(&url, PostgresOptions::default())?;
                s.schema_versions()
            })
        })
        .collect();
    for n in nodes {
        assert_eq!(n.join().unwrap(), Ok(all_versions()));
    }
}

/// Submits each list of writes without waiting; returns each one's result, in order.
fn submit_all(s: &dyn Store, jobs: Vec<Vec<Write>>) -> Vec<Result<()>> {
    let waits: Vec<_> = jobs
        .into_iter()
        .map(|w| {
            let (tx, rx) = std::sync::mpsc::channel();
            s.submit(
                w,
                Box::new(move |r| {
                    let _ = tx.send(r);
                }),
            );
            rx
        })
        .collect();
    waits
        .into_iter()
        .map(|rx| rx.recv().unwrap_or(Err(StoreError::Closed)))
        .collect()
}

fn delta(a: &PostgresStats, b: &PostgresStats) -> PostgresStats {
    PostgresStats {
        batches: b.batches - a.batches,
        submissions: b.submissions - a.submissions,
        statements: b.statements - a.statements,
        round_trips: b.round_trips - a.round_trips,
        reads: b.reads - a.reads,
    }
}

#[test]
fn group_commit_takes_one_round_trip_per_batch() {
    let Some(db) = TestDb::create("group_commit") else {
        return;
    };
    let s = open(&db);
    let m = sm("g");
    let execs: Vec<_> = (0..200)
        .map(|i| exec(&m.arn, &format!("g{i}"), i + 1))
        .collect();
    s.write(
        execs
            .iter()
            .map(|e| Write::CreateExecution(e.clone()))
            .collect(),
    )
    .unwrap();
    let before = s.stats();
    let jobs = execs
        .iter()
        .map(|e| {
            vec![Write::Append(Append {
                execution_arn: e.arn.clone(),
                journal: Some(JournalEntry {
                    seq: 1,
                    at: 3,
                    event: "ev".into(),
                }),
                events: vec![(1, "a".into()), (2, "b".into())],
                timers_added: vec![(1, 10)],
                ..Default::default()
            })]
        })
        .collect();
    let results = submit_all(&s, jobs);
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    let d = delta(&before, &s.stats());
    eprintln!(
        "200 steps: {} batches, {} round trips, {} statements",
        d.batches, d.round_trips, d.statements
    );
    assert_eq!(d.submissions, 200);
    assert_eq!(d.round_trips, d.batches, "one round trip per batch");
    assert!(
        d.batches < 100,
        "steps waiting together share a transaction: {} batches",
        d.batches
    );
    // One statement per step plus BEGIN and COMMIT per batch.
    assert_eq!(d.statements, 200 + 2 * d.batches);
    for e in &execs {
        assert_eq!(s.history(&e.arn).unwrap().len(), 2);
        assert_eq!(s.journal(&e.arn).unwrap().len(), 1);
        assert_eq!(s.timers(&e.arn).unwrap().len(), 1);
    }
}

#[test]
fn a_failing_submission_does_not_undo_the_rest_of_its_batch() {
    let Some(db) = TestDb::create("failing_in_batch") else {
        return;
    };
    let s = open(&db);
    let m = sm("f");
    let taken = exec(&m.arn, "taken", 1);
    s.write(vec![Write::CreateExecution(taken.clone())])
        .unwrap();
    let jobs: Vec<Vec<Write>> = (0..60)
        .map(|i| match i % 10 {
            3 => vec![
                Write::PutStateMachine(sm(&format!("bad{i}"))),
                Write::CreateExecution(taken.clone()),
            ],
            7 => vec![Write::Append(Append {
                execution_arn: format!("{}-missing{i}", taken.arn),
                events: vec![(1, "x".into())],
                ..Default::default()
            })],
            _ => vec![
                Write::PutStateMachine(sm(&format!("ok{i}"))),
                Write::CreateExecution(exec(&m.arn, &format!("ok{i}"), 10 + i)),
            ],
        })
        .collect();
    let results = submit_all(&s, jobs);
    for (i, r) in results.iter().enumerate() {
        match i % 10 {
            3 => {
                assert_eq!(r, &Err(StoreError::ExecutionExists(taken.arn.clone())));
                let bad = sm(&format!("bad{i}"));
                assert_eq!(s.state_machine(&bad.arn).unwrap(), None, "all or nothing");
            }
            7 => match r {
                Err(StoreError::Backend(msg)) => assert!(msg.contains("no execution"), "{msg}"),
                other => panic!("append to a missing execution: {other:?}"),
            },
            _ => {
                assert_eq!(r, &Ok(()));
                assert!(s
                    .state_machine(&sm(&format!("ok{i}")).arn)
                    .unwrap()
                    .is_some());
                let e = exec(&m.arn, &format!("ok{i}"), 10 + i as i64);
                assert_eq!(s.execution(&e.arn).unwrap(), Some(e));
            }
        }
    }
    let st = s.stats();
    assert_eq!(st.round_trips, st.batches);
}

#[test]
fn two_nodes_start_the_same_execution_once() {
    let Some(db) = TestDb::create("idempotent_start") else {
        return;
    };
    let a = open(&db);
    let b = open(&db);
    let m = sm("i");
    for i in 0..20 {
        let e = exec(&m.arn, &format!("race{i}"), i);
        let (ra, rb) = std::thread::scope(|sc| {
            let ha = sc.spawn(|| a.write(vec![Write::CreateExecution(e.clone())]));
            let hb = sc.spawn(|| b.write(vec![Write::CreateExecution(e.clone())]));
            (ha.join().unwrap(), hb.join().unwrap())
        });
        let exists = Err(StoreError::ExecutionExists(e.arn.clone()));
        assert!(
            (ra.is_ok() && rb == exists) || (rb.is_ok() && ra == exists),
            "{ra:?} {rb:?}"
        );
        assert_eq!(b.execution(&e.arn).unwrap(), Some(e));
    }
}

#[test]
fn history_events_are_written_once_whichever_node_writes_them() {
    let Some(db) = TestDb::create("history_once") else {
        return;
    };
    let a = open(&db);
    let b = open(&db);
    let m = sm("h");
    let e = exec(&m.arn, "h", 1);
    a.write(vec![Write::CreateExecution(e.clone())]).unwrap();
    let step = |node: &str| {
        vec![Write::Append(Append {
            execution_arn: e.arn.clone(),
            events: (1..=50).map(|id| (id, format!("{node}{id}"))).collect(),
            ..Default::default()
        })]
    };
    std::thread::scope(|sc| {
        let ha = sc.spawn(|| a.write(step("a")));
        let hb = sc.spawn(|| b.write(step("b")));
        assert_eq!(ha.join().unwrap(), Ok(()));
        assert_eq!(hb.join().unwrap(), Ok(()));
    });
    let h = a.history(&e.arn).unwrap();
    let ids: Vec<u64> = h.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, (1..=50).collect::<Vec<u64>>());
    // Each event comes whole from one writer.
    assert!(h
        .iter()
        .all(|(id, body)| body == &format!("a{id}") || body == &format!("b{id}")));
    assert_eq!(
        b.history(&e.arn).unwrap(),
        h,
        "every node reads the same history"
    );
}

#[test]
fn listings_sort_as_in_the_other_stores() {
    let Some(db) = TestDb::create("collation") else {
        return;
    };
    let s = open(&db);
    let mem = MemoryStore::new();
    let names = ["b", "B", "_x", "a", "a-1", "A_2", "é"];
    let m0 = sm("m");
    let writes: Vec<Write> = names
        .iter()
        .map(|n| Write::PutStateMachine(sm(n)))
        .chain(names.iter().map(|n| {
            Write::PutAlias(AliasRecord {
                arn: format!("{}:{n}", m0.arn),
                state_machine_arn: m0.arn.clone(),
                name: n.to_string(),
                description: None,
                routing_configuration: "[]".into(),
                creation_date: 1,
                update_date: 1,
            })
        }))
        .collect();
    s.write(writes.clone()).unwrap();
    mem.write(writes).unwrap();
    assert_eq!(s.state_machines().unwrap(), mem.state_machines().unwrap());
    assert_eq!(s.aliases(&m0.arn).unwrap(), mem.aliases(&m0.arn).unwrap());
}

#[test]
fn deleting_a_state_machine_keeps_the_tags_of_look_alike_names() {
    let Some(db) = TestDb::create("like_prefix") else {
        return;
    };
    let s = open(&db);
    // `_` is a LIKE wildcard: `a_b:` must not match `aXb:`.
    let a = sm("a_b");
    let other = sm("aXb");
    let tag = |arn: String| Write::SetTags {
        arn,
        tags: vec![("k".into(), "v".into())],
    };
    s.write(vec![
        Write::PutStateMachine(a.clone()),
        Write::PutStateMachine(other.clone()),
        tag(format!("{}:prod", a.arn)),
        tag(format!("{}:prod", other.arn)),
    ])
    .unwrap();
    s.write(vec![Write::DeleteStateMachine(a.arn.clone())])
        .unwrap();
    assert!(s.tags(&format!("{}:prod", a.arn)).unwrap().is_empty());
    assert_eq!(s.tags(&format!("{}:prod", other.arn)).unwrap().len(), 1);
}

#[test]
fn works_from_inside_a_tokio_runtime_and_drops_there() {
    let Some(db) = TestDb::create("async_callers") else {
        return;
    };
    let s = Arc::new(open(&db));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let m = sm("t");
    let s2 = s.clone();
    let got = rt.block_on(async move {
        tokio::spawn(async move {
            // As the server does: submit, await the callback, then read on a worker thread.
            let (tx, rx) = tokio::sync::oneshot::channel();
            s2.submit(
                vec![Write::PutStateMachine(sm("t"))],
                Box::new(move |r| {
                    let _ = tx.send(r);
                }),
            );
            rx.await.unwrap_or(Err(StoreError::Closed))?;
            let got = s2.state_machine(&sm("t").arn);
            drop(s2);
            got
        })
        .await
        .unwrap()
    });
    assert_eq!(got, Ok(Some(m)));
    // The last handle dropped on a runtime thread: no blocking-shutdown panic.
    rt.block_on(async move {
        tokio::spawn(async move { drop(s) }).await.unwrap();
    });
}

#[test]
fn reconnects_after_its_connections_are_dropped() {
    let Some(db) = TestDb::create("reconnect") else {
        return;
    };
    let s = open(&db);
    s.write(vec![Write::PutStateMachine(sm("a"))]).unwrap();
    db.admin(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}' AND pid <> pg_backend_pid()",
        db.name
    ))
    .unwrap();
    // The first use of a dropped connection may fail; the next one opens a new connection.
    let retry = |f: &dyn Fn() -> Result<()>| {
        (0..10).any(|_| {
            let ok = f().is_ok();
            if !ok {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            ok
        })
    };
    assert!(retry(&|| s.write(vec![Write::PutStateMachine(sm("b"))])));
    assert!(retry(&|| s.state_machines().map(|_| ())));
    let names: Vec<String> = s
        .state_machines()
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(names, ["a", "b"]);
}

#[test]
fn closed_store_refuses_work() {
    let Some(db) = TestDb::create("closed") else {
        return;
    };
    let s = open(&db);
    s.close();
    assert_eq!(
        s.write(vec![Write::PutStateMachine(sm("a"))]),
        Err(StoreError::Closed)
    );
    assert_eq!(s.state_machines(), Err(StoreError::Closed));
}

// ---------------------------------------------------------------------------------------
// Several nodes: leases, fencing, wake-ups.
// ---------------------------------------------------------------------------------------

fn node(db: &TestDb, id: &str, lease_ms: i64) -> PostgresStore {
    let opts = PostgresOptions {
        node: Some(store::postgres::NodeOptions {
            id: id.into(),
            lease_ms,
        }),
        ..Default::default()
    };
    match PostgresStore::open(&db.url, opts) {
        Ok(s) => s,
        Err(e) => panic!("opening {} as {id}: {e}", db.name),
    }
}

fn step(arn: &str, id: u64, body: &str) -> Vec<Write> {
    vec![Write::Append(Append {
        execution_arn: arn.into(),
        events: vec![(id, body.into())],
        ..Default::default()
    })]
}

fn held(s: &PostgresStore) -> Vec<String> {
    s.leases()
        .unwrap()
        .into_iter()
        .map(|l| l.execution_arn)
        .collect()
}

#[test]
fn an_expired_lease_is_taken_over_and_the_old_owner_is_fenced_off() {
    let Some(db) = TestDb::create("takeover") else {
        return;
    };
    // Margins of seconds: the machine may be busy.
    let a = node(&db, "a", 1_000);
    let b = node(&db, "b", 1_000);
    let m = sm("l");
    let e = exec(&m.arn, "x", 1);
    // Creating an execution leases it to its creator, so its first step is fenced too.
    a.write(vec![
        Write::CreateExecution(e.clone()),
        Write::Append(Append {
            execution_arn: e.arn.clone(),
            events: vec![(1, "a1".into())],
            ..Default::default()
        }),
    ])
    .unwrap();
    assert_eq!(held(&a), std::slice::from_ref(&e.arn));
    assert!(b.claim_executions(10).unwrap().is_empty(), "lease is live");
    assert!(
        b.write(step(&e.arn, 2, "b2")).is_err(),
        "no lease, no write"
    );
    std::thread::sleep(std::time::Duration::from_millis(1_200));
    let claimed = b.claim_executions(10).unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].0, e, "the claim returns the execution to replay");
    assert!(claimed[0].1.token > 0, "a claim takes a newer token");
    match a.write(step(&e.arn, 2, "a2")) {
        Err(StoreError::LeaseLost(arn)) => assert_eq!(arn, e.arn),
        other => panic!("stale owner committed: {other:?}"),
    }
    assert!(held(&a).is_empty(), "the fenced node forgets the lease");
    b.write(step(&e.arn, 2, "b2")).unwrap();
    assert_eq!(
        a.history(&e.arn).unwrap(),
        vec![(1, "a1".to_string()), (2, "b2".to_string())]
    );
    assert_eq!(a.renew_leases().unwrap(), Vec::<String>::new());
    // Closing ends the lease.
    b.write(vec![Write::Append(Append {
        execution_arn: e.arn.clone(),
        close: Some(ExecutionClose {
            status: "SUCCEEDED".into(),
            output: Some("{}".into()),
            error: None,
            cause: None,
            stop_date: 9,
        }),
        ..Default::default()
    })])
    .unwrap();
    assert!(held(&b).is_empty());
    std::thread::sleep(std::time::Duration::from_millis(1_200));
    assert!(
        a.claim_executions(10).unwrap().is_empty(),
        "closed: nothing to claim"
    );
}

#[test]
fn renewal_keeps_a_lease_and_reports_the_ones_lost() {
    let Some(db) = TestDb::create("renewal") else {
        return;
    };
    let a = node(&db, "a", 1_000);
    let b = node(&db, "b", 1_000);
    let m = sm("r");
    let kept = exec(&m.arn, "kept", 1);
    let lost = exec(&m.arn, "lost", 2);
    a.write(vec![
        Write::CreateExecution(kept.clone()),
        Write::CreateExecution(lost.clone()),
    ])
    .unwrap();
    for _ in 0..4 {
        std::thread::sleep(std::time::Duration::from_millis(400));
        assert_eq!(a.renew_leases().unwrap(), Vec::<String>::new());
        assert!(
            b.claim_executions(10).unwrap().is_empty(),
            "renewed in time"
        );
    }
    // `lost` is taken over (given up by a, then claimed by b); a's next renewal says so.
    let token = a.leases().unwrap()[1].token;
    db.sql(&format!(
        "UPDATE executions SET lease_expires = 0 WHERE arn = '{}'",
        lost.arn
    ))
    .unwrap();
    let claimed = b.claim_executions(10).unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].0.arn, lost.arn);
    assert!(claimed[0].1.token > token);
    assert_eq!(a.renew_leases().unwrap(), vec![lost.arn.clone()]);
    assert_eq!(held(&a), std::slice::from_ref(&kept.arn));
    assert_eq!(held(&b), std::slice::from_ref(&lost.arn));
}

#[test]
fn nodes_claiming_together_share_the_backlog_without_overlap() {
    let Some(db) = TestDb::create("skip_locked") else {
        return;
    };
    // Executions left by a single-node store (no lease): any node may claim them.
    let single = open(&db);
    let m = sm("s");
    let execs: Vec<_> = (0..100)
        .map(|i| exec(&m.arn, &format!("s{i}"), i + 1))
        .collect();
    single
        .write(
            execs
                .iter()
                .map(|e| Write::CreateExecution(e.clone()))
                .collect(),
        )
        .unwrap();
    let nodes: Vec<PostgresStore> = (0..3).map(|i| node(&db, &format!("n{i}"), 5_000)).collect();
    let claimed: Vec<Vec<String>> = std::thread::scope(|sc| {
        let hs: Vec<_> = nodes
            .iter()
            .map(|n| {
                sc.spawn(move || {
                    let mut mine = Vec::new();
                    loop {
                        let got = n.claim_executions(7).unwrap();
                        if got.is_empty() {
                            return mine;
                        }
                        mine.extend(got.into_iter().map(|(e, _)| e.arn));
                    }
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut all: Vec<String> = claimed.iter().flatten().cloned().collect();
    let total = all.len();
    all.sort();
    all.dedup();
    assert_eq!(total, 100, "no execution claimed twice");
    assert_eq!(all.len(), 100, "every execution claimed");
    for (n, mine) in nodes.iter().zip(&claimed) {
        let mut m = mine.clone();
        m.sort();
        assert_eq!(held(n), m);
    }
}

#[test]
fn releasing_wakes_the_other_nodes_which_claim_at_once() {
    let Some(db) = TestDb::create("release") else {
        return;
    };
    let a = node(&db, "a", 60_000);
    let b = node(&db, "b", 60_000);
    let mut wakeups = b.listen().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let listener = std::thread::spawn(move || {
        while let Some(p) = wakeups.blocking_recv() {
            if tx.send(p).is_err() {
                return;
            }
        }
    });
    let m = sm("w");
    let e = exec(&m.arn, "w", 1);
    a.write(vec![Write::CreateExecution(e.clone())]).unwrap();
    assert!(b.claim_executions(10).unwrap().is_empty());
    a.release(std::slice::from_ref(&e.arn)).unwrap();
    let wait = std::time::Duration::from_secs(10);
    assert_eq!(rx.recv_timeout(wait).as_deref(), Ok("released"));
    let claimed = b.claim_executions(10).unwrap();
    assert_eq!(
        claimed.len(),
        1,
        "released: no need to wait for the lease to expire"
    );
    assert!(
        a.write(step(&e.arn, 1, "late")).is_err(),
        "released: a is fenced"
    );
    a.notify("callback:task-token").unwrap();
    assert_eq!(rx.recv_timeout(wait).as_deref(), Ok("callback:task-token"));
    drop(b);
    drop(rx);
    listener.join().unwrap();
}

#[test]
fn a_single_node_store_has_no_leases() {
    let Some(db) = TestDb::create("no_leases") else {
        return;
    };
    let s = open(&db);
    assert!(s.claim_executions(1).is_err());
    assert!(s.leases().is_err());
}

/// Durable steps per second with many executions stepping at once, each waiting for its
/// step to be durable before the next (as the server's runtime does). A measurement, not a
/// check: `cargo test -p store --test postgres -- --ignored --nocapture steps_per_second`.
#[test]
#[ignore]
fn steps_per_second() {
    let Some(db) = TestDb::create("throughput") else {
        return;
    };
    let s = open(&db);
    let m = sm("p");
    let (executions, steps) = (256, 40);
    let execs: Vec<_> = (0..executions)
        .map(|i| exec(&m.arn, &format!("p{i}"), i + 1))
        .collect();
    s.write(
        execs
            .iter()
            .map(|e| Write::CreateExecution(e.clone()))
            .collect(),
    )
    .unwrap();
    let before = s.stats();
    let start = std::time::Instant::now();
    std::thread::scope(|sc| {
        for chunk in execs.chunks(executions as usize / 16) {
            let s = &s;
            sc.spawn(move || {
                // Each thread drives its executions in lock step, one step each per round,
                // all submitted before waiting (as tokio tasks would).
                for round in 1..=steps {
                    let jobs = chunk
                        .iter()
                        .map(|e| {
                            vec![Write::Append(Append {
                                execution_arn: e.arn.clone(),
                                journal: Some(JournalEntry {
                                    seq: round,
                                    at: round as i64,
                                    event: r#"{"k":"timerFired","timer":1}"#.into(),
                                }),
                                events: vec![(
                                    round,
                                    format!(r#"{{"id":{round},"type":"PassStateEntered"}}"#),
                                )],
                                timers_added: vec![(round, 1000)],
                                timers_removed: vec![round.saturating_sub(1)],
                                ..Default::default()
                            })]
                        })
                        .collect();
                    assert!(submit_all(s, jobs).iter().all(|r| r.is_ok()));
                }
            });
        }
    });
    let took = start.elapsed();
    let d = delta(&before, &s.stats());
    let n = (executions as u64) * steps;
    eprintln!(
        "{n} durable steps in {took:?}: {:.0} steps/s, {} batches ({:.1} steps each), {:.3} round trips per step",
        n as f64 / took.as_secs_f64(),
        d.batches,
        n as f64 / d.batches as f64,
        d.round_trips as f64 / n as f64
    );
    assert_eq!(d.submissions, n);
}

#[test]
fn nodes_number_executions_from_one_sequence() {
    let Some(db) = TestDb::create("shared_seq") else {
        return;
    };
    let a = node(&db, "a", 10_000);
    let b = node(&db, "b", 10_000);
    let m = sm("q");
    // Both nodes' in-memory counters would say 1: the database numbers them instead.
    for (i, s) in [&a, &b, &a, &b].iter().enumerate() {
        s.write(vec![Write::CreateExecution(exec(
            &m.arn,
            &format!("x{i}"),
            1,
        ))])
        .unwrap();
    }
    let listed: Vec<(String, i64)> = a
        .executions(&ExecutionFilter::default())
        .unwrap()
        .into_iter()
        .map(|e| (e.name, e.seq))
        .collect();
    assert_eq!(
        listed,
        [("x3", 4), ("x2", 3), ("x1", 2), ("x0", 1)].map(|(n, s)| (n.to_string(), s))
    );
    assert_eq!(b.max_execution_seq().unwrap(), 4);
}

#[test]
fn an_inbox_message_gets_exactly_one_answer() {
    let Some(db) = TestDb::create("inbox") else {
        return;
    };
    let a = node(&db, "a", 10_000);
    let b = node(&db, "b", 10_000);
    let mut wake = b.listen().unwrap();
    let id = a.post_message("op", "target-1", "{\"x\":1}").unwrap();
    assert_eq!(wake.blocking_recv().as_deref(), Some("inbox"));
    let open = b.open_messages().unwrap();
    assert_eq!(
        open,
        vec![store::postgres::Message {
            id,
            kind: "op".into(),
            target: "target-1".into(),
            body: "{\"x\":1}".into(),
        }]
    );
    assert_eq!(a.message_reply(id).unwrap(), None);
    // Two nodes answer at once: one wins.
    let (ra, rb) = std::thread::scope(|sc| {
        let ha = sc.spawn(|| a.answer_message(id, "from a"));
        let hb = sc.spawn(|| b.answer_message(id, "from b"));
        (ha.join().unwrap().unwrap(), hb.join().unwrap().unwrap())
    });
    assert!(ra ^ rb, "exactly one answer: {ra} {rb}");
    let winner = if ra { "from a" } else { "from b" };
    assert_eq!(a.message_reply(id).unwrap().as_deref(), Some(winner));
    assert_eq!(wake.blocking_recv().as_deref(), Some("reply"));
    assert!(b.open_messages().unwrap().is_empty(), "answered: not open");
    assert!(!a.cancel_message(id).unwrap(), "too late to withdraw");
    // The answering node may replace its own answer (a reservation by the final one).
    b.finish_message(id, "final").unwrap();
    assert_eq!(a.message_reply(id).unwrap().as_deref(), Some("final"));
    a.forget_message(id).unwrap();
    assert!(a.message_reply(id).is_err(), "gone once read");
    // Withdrawn before any answer: nobody can answer it any more.
    let id = a.post_message("poll", "act", "{}").unwrap();
    assert!(a.cancel_message(id).unwrap());
    assert!(!b.answer_message(id, "late").unwrap());
}
