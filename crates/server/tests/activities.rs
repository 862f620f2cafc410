//! Activities as records of the store: tags on activity ARNs, CreateActivity's idempotency,
//! ListActivities pages, the move of activities from before the activity table on upgrade,
//! and several nodes on one PostgreSQL seeing each other's creates and deletes at once.

mod common;
#[path = "../../store/tests/pg/mod.rs"]
mod pg;

use common::{Server, ACCOUNT, REGION};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use store::Store;

fn activity_arn(name: &str) -> String {
    format!("arn:aws:states:{REGION}:{ACCOUNT}:activity:{name}")
}

fn tags(s: &Server, arn: &str) -> Value {
    s.ok("ListTagsForResource", json!({"resourceArn": arn}))["tags"].clone()
}

#[test]
fn activity_tags_idempotent_create_and_pages() {
    let s = Server::start_in_memory();
    let arn = activity_arn("tagged");
    let first = s.ok(
        "CreateActivity",
        json!({"name": "tagged", "tags": [{"key": "team", "value": "a"}, {"key": "env", "value": "dev"}]}),
    );
    assert_eq!(first["activityArn"], arn);
    assert_eq!(
        tags(&s, &arn),
        json!([{"key": "team", "value": "a"}, {"key": "env", "value": "dev"}])
    );

    // AWS: the same name is the same activity; the repeat's tags are ignored.
    std::thread::sleep(Duration::from_millis(5));
    let again = s.ok(
        "CreateActivity",
        json!({"name": "tagged", "tags": [{"key": "team", "value": "b"}]}),
    );
    assert_eq!(again, first, "same ARN, same creation date");
    assert_eq!(
        tags(&s, &arn),
        json!([{"key": "team", "value": "a"}, {"key": "env", "value": "dev"}])
    );

    s.ok(
        "TagResource",
        json!({"resourceArn": arn, "tags": [{"key": "team", "value": "c"}, {"key": "new", "value": "1"}]}),
    );
    s.ok(
        "UntagResource",
        json!({"resourceArn": arn, "tagKeys": ["env"]}),
    );
    assert_eq!(
        tags(&s, &arn),
        json!([{"key": "team", "value": "c"}, {"key": "new", "value": "1"}])
    );
    let too_many: Vec<Value> = (0..51)
        .map(|i| json!({"key": format!("k{i}"), "value": "v"}))
        .collect();
    s.err(
        "CreateActivity",
        json!({"name": "crowded", "tags": too_many}),
        "TooManyTags",
    );
    s.err(
        "DescribeActivity",
        json!({"activityArn": activity_arn("crowded")}),
        "ActivityDoesNotExist",
    );

    // Pages of one, oldest first, following nextToken to the end.
    for n in ["p1", "p2"] {
        std::thread::sleep(Duration::from_millis(2));
        s.ok("CreateActivity", json!({"name": n}));
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = json!({"maxResults": 1});
        if let Some(t) = &token {
            req["nextToken"] = json!(t);
        }
        let page = s.ok("ListActivities", req);
        let items = page["activities"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{page}");
        seen.push(items[0]["name"].as_str().unwrap().to_string());
        match page["nextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, ["tagged", "p1", "p2"]);
    s.err(
        "ListActivities",
        json!({"nextToken": "garbage"}),
        "InvalidToken",
    );

    // Deleted with its tags.
    s.ok("DeleteActivity", json!({"activityArn": arn}));
    s.err(
        "ListTagsForResource",
        json!({"resourceArn": arn}),
        "ResourceNotFound",
    );
    s.err(
        "TagResource",
        json!({"resourceArn": arn, "tags": [{"key": "k", "value": "v"}]}),
        "ResourceNotFound",
    );
    let fresh = s.ok("CreateActivity", json!({"name": "tagged"}));
    assert_eq!(tags(&s, &arn), json!([]));
    assert_ne!(fresh["creationDate"], first["creationDate"]);
}

/// Takes one task of `activity` (the server's long poll returns `{}` when none came).
fn take_task(s: &Server, activity: &str) -> (String, Value) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let t = s.ok(
            "GetActivityTask",
            json!({"activityArn": activity, "workerName": "w"}),
        );
        if let Some(token) = t["taskToken"].as_str() {
            let input = serde_json::from_str(t["input"].as_str().unwrap()).unwrap();
            return (token.to_string(), input);
        }
        assert!(Instant::now() < deadline, "no task for {activity}");
    }
}

#[test]
fn activities_from_before_the_activity_table_survive_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let old = activity_arn("legacy");
    {
        // What an earlier Stepline left in its data directory: activities as the tags of a
        // pseudo-ARN.
        let db =
            store::SqliteStore::open(dir.path().join("stepline.db"), Default::default()).unwrap();
        db.write(vec![store::Write::SetTags {
            arn: "stepline:registry:activities".into(),
            tags: vec![(
                old.clone(),
                json!({"name": "legacy", "creationDate": 1_700_000_000_123i64}).to_string(),
            )],
        }])
        .unwrap();
    }
    let mut s = Server::start(dir.path());
    let d = s.ok("DescribeActivity", json!({"activityArn": old}));
    assert_eq!(d["name"], "legacy");
    assert_eq!(d["creationDate"].as_f64(), Some(1_700_000_000.123));
    let l = s.ok("ListActivities", json!({}));
    assert_eq!(l["activities"].as_array().unwrap().len(), 1, "{l}");

    // It works as any activity.
    let m = s.create_machine(
        "legacy-m",
        &json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": old, "End": true}}}),
    );
    let e = s.ok(
        "StartExecution",
        json!({"stateMachineArn": m, "input": "{\"n\": 1}"}),
    )["executionArn"]
        .as_str()
        .unwrap()
        .to_string();
    let (token, input) = take_task(&s, &old);
    assert_eq!(input, json!({"n": 1}));
    s.ok(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{\"ok\": true}"}),
    );
    let done = s.wait_done(&e, Duration::from_secs(20));
    assert_eq!(done["status"], "SUCCEEDED", "{done}");

    // Moved once: a delete sticks across a restart (the old list is not read again).
    s.ok("DeleteActivity", json!({"activityArn": old}));
    s.terminate();
    let s = Server::start(dir.path());
    s.err(
        "DescribeActivity",
        json!({"activityArn": old}),
        "ActivityDoesNotExist",
    );
    assert_eq!(s.ok("ListActivities", json!({}))["activities"], json!([]));
}

#[test]
fn nodes_share_activities_at_once() {
    let Some(db) = pg::TestDb::create("activities") else {
        return;
    };
    // An empty long poll answers after a second, not sixty.
    std::env::set_var("STEPLINE_ACTIVITY_POLL_SECONDS", "1");
    let node = |id: &str| {
        Server::spawn(
            &["--store", &db.url, "--lease-ms", "1500", "--node-id", id],
            None,
        )
    };
    let (a, b) = (node("act-a"), node("act-b"));
    let arn = activity_arn("shared");
    // Created on both nodes together: one activity.
    let (ra, rb) = std::thread::scope(|sc| {
        let ta = sc.spawn(|| {
            a.ok(
                "CreateActivity",
                json!({"name": "shared", "tags": [{"key": "by", "value": "a"}]}),
            )
        });
        let tb = sc.spawn(|| {
            b.ok(
                "CreateActivity",
                json!({"name": "shared", "tags": [{"key": "by", "value": "b"}]}),
            )
        });
        (ta.join().unwrap(), tb.join().unwrap())
    });
    assert_eq!(ra, rb);
    let ta = tags(&a, &arn);
    assert_eq!(ta, tags(&b, &arn));
    assert_eq!(ta.as_array().unwrap().len(), 1, "{ta}");

    // Deleted on one node: gone on the other at once.
    a.ok("DeleteActivity", json!({"activityArn": arn}));
    b.err(
        "DescribeActivity",
        json!({"activityArn": arn}),
        "ActivityDoesNotExist",
    );
    b.err(
        "GetActivityTask",
        json!({"activityArn": arn}),
        "ActivityDoesNotExist",
    );
    // Created on one node: pollable on the other at once.
    b.ok("CreateActivity", json!({"name": "later"}));
    let t = a.ok(
        "GetActivityTask",
        json!({"activityArn": activity_arn("later")}),
    );
    assert_eq!(t, json!({}), "no task: an empty answer, not an error");
    assert_eq!(
        a.ok("ListActivities", json!({}))["activities"],
        b.ok("ListActivities", json!({}))["activities"]
    );
}

#[test]
fn task_answers_are_durable_when_the_worker_is_told() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Server::start(dir.path());
    let act = s.ok("CreateActivity", json!({"name": "durable"}))["activityArn"]
        .as_str()
        .unwrap()
        .to_string();
    let m = s.create_machine(
        "durable-m",
        &json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": act, "End": true}}}),
    );
    const N: usize = 24;
    let execs: Vec<String> = (0..N)
        .map(|i| {
            s.ok(
                "StartExecution",
                json!({"stateMachineArn": m, "name": format!("e{i}"), "input": format!("{{\"i\": {i}}}")}),
            )["executionArn"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let tasks: Vec<(String, Value)> = (0..N).map(|_| take_task(&s, &act)).collect();
    // Every answer at once; the server is killed the moment the last one is acknowledged.
    std::thread::scope(|sc| {
        for (token, input) in &tasks {
            let s = &s;
            sc.spawn(move || {
                let out = json!({"done": input["i"]}).to_string();
                s.ok(
                    "SendTaskSuccess",
                    json!({"taskToken": token, "output": out}),
                );
            });
        }
    });
    s.kill9();
    let s = Server::start(dir.path());
    for (i, e) in execs.iter().enumerate() {
        let d = s.wait_done(e, Duration::from_secs(20));
        assert_eq!(d["status"], "SUCCEEDED", "{d}");
        let out: Value = serde_json::from_str(d["output"].as_str().unwrap()).unwrap();
        assert_eq!(out, json!({"done": i}));
        let succeeded = s
            .history(e)
            .iter()
            .filter(|ev| ev["type"] == "ActivitySucceeded")
            .count();
        assert_eq!(succeeded, 1, "{e}");
    }
}
