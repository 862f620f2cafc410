//! The behaviour suite every `Store` implementation must pass (SQLite, memory, PostgreSQL).
#![allow(dead_code)]

use store::*;

pub fn sm(name: &str) -> StateMachineRecord {
    StateMachineRecord {
        arn: format!("arn:aws:states:us-east-1:123456789012:stateMachine:{name}"),
        name: name.into(),
        machine_type: "STANDARD".into(),
        definition: r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#.into(),
        role_arn: "arn:aws:iam::123456789012:role/r".into(),
        logging_configuration: r#"{"level":"OFF"}"#.into(),
        tracing_configuration: r#"{"enabled":false}"#.into(),
        creation_date: 1000,
        update_date: None,
        revision_id: "rev".into(),
        description: None,
        next_version: 1,
    }
}

pub fn exec(sm_arn: &str, name: &str, seq: i64) -> ExecutionRecord {
    ExecutionRecord {
        arn: format!("{}:{name}", sm_arn.replace(":stateMachine:", ":execution:")),
        state_machine_arn: sm_arn.into(),
        state_machine_name: "m".into(),
        version_arn: None,
        alias_arn: None,
        name: name.into(),
        status: "RUNNING".into(),
        input: "{}".into(),
        output: None,
        error: None,
        cause: None,
        start_date: 5,
        stop_date: None,
        seed: u64::MAX - 3,
        role_arn: "r".into(),
        definition: "{}".into(),
        seq,
        redrive_count: 0,
    }
}

pub fn state_machines_versions_aliases_tags(s: &dyn Store) {
    let a = sm("a");
    let b = sm("b");
    s.write(vec![
        Write::PutStateMachine(b.clone()),
        Write::PutStateMachine(a.clone()),
    ])
    .unwrap();
    assert_eq!(s.state_machine(&a.arn).unwrap(), Some(a.clone()));
    let names: Vec<String> = s
        .state_machines()
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(names, ["a", "b"]);
    let v = |n: u64| VersionRecord {
        arn: format!("{}:{n}", a.arn),
        state_machine_arn: a.arn.clone(),
        version: n,
        machine_type: "STANDARD".into(),
        definition: "{}".into(),
        role_arn: "r".into(),
        logging_configuration: "{}".into(),
        tracing_configuration: "{}".into(),
        description: Some(format!("v{n}")),
        revision_id: "rev".into(),
        creation_date: n as i64,
    };
    s.write(vec![Write::PutVersion(v(1)), Write::PutVersion(v(2))])
        .unwrap();
    let vs: Vec<u64> = s
        .versions(&a.arn)
        .unwrap()
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(vs, [2, 1], "newest first");
    let alias = AliasRecord {
        arn: format!("{}:prod", a.arn),
        state_machine_arn: a.arn.clone(),
        name: "prod".into(),
        description: None,
        routing_configuration: "[]".into(),
        creation_date: 1,
        update_date: 1,
    };
    s.write(vec![
        Write::PutAlias(alias.clone()),
        Write::SetTags {
            arn: a.arn.clone(),
            tags: vec![("z".into(), "1".into()), ("a".into(), "2".into())],
        },
    ])
    .unwrap();
    assert_eq!(s.alias(&alias.arn).unwrap(), Some(alias.clone()));
    assert_eq!(s.aliases(&a.arn).unwrap().len(), 1);
    assert_eq!(s.tags(&a.arn).unwrap()[0].0, "z", "tags keep their order");
    s.write(vec![Write::DeleteVersion(v(1).arn)]).unwrap();
    assert_eq!(s.version(&v(1).arn).unwrap(), None);
    s.write(vec![Write::DeleteStateMachine(a.arn.clone())])
        .unwrap();
    assert_eq!(s.state_machine(&a.arn).unwrap(), None);
    assert!(s.versions(&a.arn).unwrap().is_empty());
    assert!(s.aliases(&a.arn).unwrap().is_empty());
    assert!(s.tags(&a.arn).unwrap().is_empty());
    assert!(s.state_machine(&b.arn).unwrap().is_some());
}

pub fn executions_history_journal_timers(s: &dyn Store) {
    let m = sm("m");
    let e1 = exec(&m.arn, "one", 1);
    let mut e2 = exec(&m.arn, "two", 2);
    e2.version_arn = Some(format!("{}:1", m.arn));
    s.write(vec![Write::CreateExecution(e1.clone())]).unwrap();
    s.write(vec![Write::CreateExecution(e2.clone())]).unwrap();
    assert_eq!(
        s.execution(&e1.arn).unwrap(),
        Some(e1.clone()),
        "seed round-trips"
    );
    assert_eq!(
        s.write(vec![Write::CreateExecution(e1.clone())]),
        Err(StoreError::ExecutionExists(e1.arn.clone()))
    );
    assert_eq!(s.max_execution_seq().unwrap(), 2);
    let f = ExecutionFilter {
        state_machine_arn: Some(m.arn.clone()),
        ..Default::default()
    };
    let names: Vec<String> = s
        .executions(&f)
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, ["two", "one"], "newest first");
    let page = ExecutionFilter {
        state_machine_arn: Some(m.arn.clone()),
        limit: Some(1),
        ..Default::default()
    };
    let first: Vec<(String, i64)> = s
        .executions(&page)
        .unwrap()
        .into_iter()
        .map(|e| (e.name, e.seq))
        .collect();
    assert_eq!(first, [("two".to_string(), 2)]);
    let next = ExecutionFilter {
        before_seq: Some(2),
        ..page
    };
    let names: Vec<String> = s
        .executions(&next)
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, ["one"], "the page after seq 2");
    let fv = ExecutionFilter {
        state_machine_arn: Some(format!("{}:1", m.arn)),
        ..Default::default()
    };
    assert_eq!(s.executions(&fv).unwrap().len(), 1);

    s.write(vec![Write::Append(Append {
        execution_arn: e1.arn.clone(),
        journal: None,
        events: vec![(1, "e1".into()), (2, "e2".into())],
        timers_added: vec![(1, 100), (2, 200)],
        ..Default::default()
    })])
    .unwrap();
    s.write(vec![Write::Append(Append {
        execution_arn: e1.arn.clone(),
        journal: Some(JournalEntry {
            seq: 1,
            at: 100,
            event: "fire 1".into(),
        }),
        // Event 2 again: recorded once.
        events: vec![(2, "dup".into()), (3, "e3".into())],
        timers_removed: vec![1],
        ..Default::default()
    })])
    .unwrap();
    let h = s.history(&e1.arn).unwrap();
    assert_eq!(
        h,
        vec![
            (1, "e1".to_string()),
            (2, "e2".to_string()),
            (3, "e3".to_string())
        ]
    );
    assert_eq!(s.journal(&e1.arn).unwrap().len(), 1);
    let t = s.timers(&e1.arn).unwrap();
    assert_eq!(t.len(), 1);
    assert_eq!((t[0].timer_id, t[0].fire_at), (2, 200));
    assert_eq!(s.open_executions().unwrap().len(), 2);

    s.write(vec![Write::Append(Append {
        execution_arn: e1.arn.clone(),
        events: vec![(4, "end".into())],
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
    let done = s.execution(&e1.arn).unwrap().unwrap();
    assert_eq!(done.status, "SUCCEEDED");
    assert_eq!(done.stop_date, Some(9));
    assert!(s.timers(&e1.arn).unwrap().is_empty());
    assert!(s.journal(&e1.arn).unwrap().is_empty());
    assert_eq!(s.open_executions().unwrap().len(), 1);
    let fs = ExecutionFilter {
        state_machine_arn: Some(m.arn.clone()),
        status: Some("SUCCEEDED".into()),
        ..Default::default()
    };
    assert_eq!(s.executions(&fs).unwrap().len(), 1);
    assert_eq!(s.history(&e1.arn).unwrap().len(), 4);
}

pub fn failed_submission_changes_nothing(s: &dyn Store) {
    let m = sm("x");
    let e = exec(&m.arn, "e", 10);
    s.write(vec![Write::CreateExecution(e.clone())]).unwrap();
    let r = s.write(vec![
        Write::PutStateMachine(m.clone()),
        Write::CreateExecution(e.clone()),
    ]);
    assert!(r.is_err());
    assert_eq!(s.state_machine(&m.arn).unwrap(), None, "all or nothing");
}

pub fn many_concurrent_submissions(s: &'static dyn Store) {
    let m = sm("c");
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let arn = m.arn.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    let e = exec(&arn, &format!("t{t}-{i}"), 1000 + t * 100 + i);
                    s.write(vec![Write::CreateExecution(e.clone())]).unwrap();
                    s.write(vec![Write::Append(Append {
                        execution_arn: e.arn.clone(),
                        events: vec![(1, "x".into())],
                        ..Default::default()
                    })])
                    .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let f = ExecutionFilter {
        state_machine_arn: Some(m.arn.clone()),
        ..Default::default()
    };
    assert_eq!(s.executions(&f).unwrap().len(), 400);
}

/// What StartExecution writes: the execution and its first step in one submission.
pub fn create_with_first_step(s: &dyn Store) {
    let m = sm("f");
    let done = exec(&m.arn, "done", 500);
    s.write(vec![
        Write::CreateExecution(done.clone()),
        Write::Append(Append {
            execution_arn: done.arn.clone(),
            events: vec![(1, "a".into()), (2, "b".into())],
            close: Some(ExecutionClose {
                status: "SUCCEEDED".into(),
                output: Some("1".into()),
                error: None,
                cause: None,
                stop_date: 6,
            }),
            ..Default::default()
        }),
    ])
    .unwrap();
    let got = s.execution(&done.arn).unwrap().unwrap();
    assert_eq!(
        (got.status.as_str(), got.output.as_deref(), got.stop_date),
        ("SUCCEEDED", Some("1"), Some(6))
    );
    assert_eq!(s.history(&done.arn).unwrap().len(), 2);
    let waiting = exec(&m.arn, "waiting", 501);
    s.write(vec![
        Write::CreateExecution(waiting.clone()),
        Write::Append(Append {
            execution_arn: waiting.arn.clone(),
            events: vec![(1, "a".into())],
            timers_added: vec![(1, 99)],
            ..Default::default()
        }),
    ])
    .unwrap();
    assert_eq!(
        s.execution(&waiting.arn).unwrap().unwrap().status,
        "RUNNING"
    );
    assert_eq!(s.timers(&waiting.arn).unwrap()[0].fire_at, 99);
    // The same name again: refused whole, the first one untouched.
    let r = s.write(vec![
        Write::CreateExecution(waiting.clone()),
        Write::Append(Append {
            execution_arn: waiting.arn.clone(),
            events: vec![(1, "other".into())],
            ..Default::default()
        }),
    ]);
    assert_eq!(r, Err(StoreError::ExecutionExists(waiting.arn.clone())));
    assert_eq!(s.history(&waiting.arn).unwrap(), vec![(1, "a".to_string())]);
}

/// RedriveExecution reopens a closed execution: RUNNING again, its new redrive count, no
/// close fields, its history kept and extended; an open execution cannot be redriven.
pub fn redrive_reopens_a_closed_execution(s: &dyn Store) {
    let m = sm("redrive");
    let e = exec(&m.arn, "r", 40);
    s.write(vec![
        Write::CreateExecution(e.clone()),
        Write::Append(Append {
            execution_arn: e.arn.clone(),
            events: vec![(1, "started".into()), (2, "failed".into())],
            close: Some(ExecutionClose {
                status: "FAILED".into(),
                output: None,
                error: Some("E".into()),
                cause: Some("c".into()),
                stop_date: 9,
            }),
            ..Default::default()
        }),
    ])
    .unwrap();
    assert!(!s.open_executions().unwrap().iter().any(|x| x.arn == e.arn));
    s.write(vec![
        Write::RedriveExecution {
            arn: e.arn.clone(),
            redrive_count: 1,
        },
        Write::Append(Append {
            execution_arn: e.arn.clone(),
            events: vec![(3, "redriven".into())],
            timers_added: vec![(1, 100)],
            ..Default::default()
        }),
    ])
    .unwrap();
    let got = s.execution(&e.arn).unwrap().unwrap();
    assert_eq!(
        (
            got.status.as_str(),
            got.redrive_count,
            got.stop_date,
            got.error,
            got.cause
        ),
        ("RUNNING", 1, None, None, None)
    );
    assert!(s.open_executions().unwrap().iter().any(|x| x.arn == e.arn));
    assert_eq!(s.history(&e.arn).unwrap().len(), 3);
    assert_eq!(s.timers(&e.arn).unwrap().len(), 1);
    let again = s.write(vec![Write::RedriveExecution {
        arn: e.arn.clone(),
        redrive_count: 2,
    }]);
    assert!(again.is_err(), "a running execution is not redriven");
}

pub fn activity(name: &str, creation_date: i64) -> ActivityRecord {
    ActivityRecord {
        arn: format!("arn:aws:states:us-east-1:123456789012:activity:{name}"),
        name: name.into(),
        creation_date,
    }
}

fn create_activity(s: &dyn Store, a: &ActivityRecord, tags: &[(&str, &str)]) {
    s.write(vec![Write::CreateActivity {
        activity: a.clone(),
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }])
    .unwrap();
}

fn names(list: Vec<ActivityRecord>) -> Vec<String> {
    list.into_iter().map(|a| a.name).collect()
}

pub fn activities_and_their_tags(s: &dyn Store) {
    let (a, b, c) = (activity("a", 10), activity("b", 5), activity("c", 10));
    assert_eq!(s.activity(&a.arn).unwrap(), None);
    create_activity(s, &a, &[]);
    create_activity(s, &b, &[("team", "x"), ("env", "dev")]);
    create_activity(s, &c, &[]);
    assert_eq!(s.activity(&b.arn).unwrap(), Some(b.clone()));
    let all = |f: ActivityFilter| names(s.activities(&f).unwrap());
    // Oldest first; the ARN orders the ones created in the same millisecond.
    assert_eq!(all(ActivityFilter::default()), ["b", "a", "c"]);

    // The same name again: the activity stays as it was, tags and creation date included.
    create_activity(s, &activity("b", 99), &[("team", "y")]);
    assert_eq!(s.activity(&b.arn).unwrap(), Some(b.clone()));
    let tags = |arn: &str| s.tags(arn).unwrap();
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(tags(&b.arn), [pair("team", "x"), pair("env", "dev")]);
    assert_eq!(all(ActivityFilter::default()), ["b", "a", "c"]);

    // Pages: after the last one listed.
    let page = |after: &ActivityRecord, limit| {
        all(ActivityFilter {
            after: Some((after.creation_date, after.arn.clone())),
            limit,
        })
    };
    assert_eq!(
        all(ActivityFilter {
            after: None,
            limit: Some(1)
        }),
        ["b"]
    );
    assert_eq!(page(&b, Some(1)), ["a"]);
    assert_eq!(page(&a, None), ["c"]);
    assert!(page(&c, None).is_empty());

    // Tagged as any resource.
    s.write(vec![Write::SetTags {
        arn: a.arn.clone(),
        tags: vec![pair("k", "v")],
    }])
    .unwrap();
    assert_eq!(tags(&a.arn), [pair("k", "v")]);

    // Deleted with its tags; a new one of the same name starts afresh.
    s.write(vec![Write::DeleteActivity(b.arn.clone())]).unwrap();
    assert_eq!(s.activity(&b.arn).unwrap(), None);
    assert!(tags(&b.arn).is_empty());
    assert_eq!(all(ActivityFilter::default()), ["a", "c"]);
    s.write(vec![Write::DeleteActivity(b.arn.clone())])
        .expect("deleting a missing activity is no error");
    let b2 = activity("b", 20);
    create_activity(s, &b2, &[("new", "1")]);
    assert_eq!(s.activity(&b.arn).unwrap(), Some(b2));
    assert_eq!(tags(&b.arn), [pair("new", "1")]);
    assert_eq!(all(ActivityFilter::default()), ["a", "c", "b"]);
    // Deleting an activity leaves the tags of a look-alike name alone.
    let longer = activity("a2", 30);
    create_activity(s, &longer, &[("k2", "v2")]);
    s.write(vec![Write::DeleteActivity(a.arn.clone())]).unwrap();
    assert_eq!(tags(&longer.arn), [pair("k2", "v2")]);

    // All or nothing, with the rest of its submission.
    let m = sm("act");
    let e = exec(&m.arn, "e", 500);
    s.write(vec![Write::CreateExecution(e.clone())]).unwrap();
    let d = activity("d", 1);
    let r = s.write(vec![
        Write::CreateActivity {
            activity: d.clone(),
            tags: vec![pair("x", "y")],
        },
        Write::DeleteActivity(c.arn.clone()),
        Write::CreateExecution(e),
    ]);
    assert!(r.is_err());
    assert_eq!(s.activity(&d.arn).unwrap(), None);
    assert!(tags(&d.arn).is_empty());
    assert_eq!(s.activity(&c.arn).unwrap(), Some(c));
}

pub fn deleting_a_state_machine_keeps_look_alike_tags(s: &dyn Store) {
    // `_` is a LIKE wildcard and LIKE ignores case: neither may widen the deletion.
    let (a, other, upper) = (sm("d_b"), sm("dXb"), sm("D_b"));
    let tag = |arn: String| Write::SetTags {
        arn,
        tags: vec![("k".into(), "v".into())],
    };
    let mut writes = Vec::new();
    for m in [&a, &other, &upper] {
        writes.push(Write::PutStateMachine(m.clone()));
        writes.push(tag(m.arn.clone()));
        writes.push(tag(format!("{}:prod", m.arn)));
    }
    s.write(writes).unwrap();
    s.write(vec![Write::DeleteStateMachine(a.arn.clone())])
        .unwrap();
    assert!(s.tags(&a.arn).unwrap().is_empty());
    assert!(s.tags(&format!("{}:prod", a.arn)).unwrap().is_empty());
    for m in [&other, &upper] {
        assert_eq!(s.tags(&m.arn).unwrap().len(), 1, "{}", m.name);
        assert_eq!(s.tags(&format!("{}:prod", m.arn)).unwrap().len(), 1);
    }
}

pub fn suite(s: &'static dyn Store) {
    state_machines_versions_aliases_tags(s);
    executions_history_journal_timers(s);
    failed_submission_changes_nothing(s);
    many_concurrent_submissions(s);
    create_with_first_step(s);
    redrive_reopens_a_closed_execution(s);
    activities_and_their_tags(s);
    deleting_a_state_machine_keeps_look_alike_tags(s);
}
