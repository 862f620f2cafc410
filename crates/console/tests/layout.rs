//! Lays out hand-written definitions covering every state type, nesting and edge kind, and every
//! definition of the public corpus, checking that no two boxes overlap (unless one encloses the
//! other: a compound state and its lanes) and that every edge joins two existing boxes.

use console::layout::{layout, to_dot, to_mermaid, to_svg, EdgeKind, Layout, LayoutError};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::path::PathBuf;

#[derive(Clone, Copy)]
struct R {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl R {
    fn contains(&self, o: &R) -> bool {
        o.x >= self.x - 0.01
            && o.y >= self.y - 0.01
            && o.x + o.w <= self.x + self.w + 0.01
            && o.y + o.h <= self.y + self.h + 0.01
    }
    fn overlaps(&self, o: &R) -> bool {
        self.x < o.x + o.w - 0.01
            && o.x < self.x + self.w - 0.01
            && self.y < o.y + o.h - 0.01
            && o.y < self.y + self.h - 0.01
    }
}

/// Every problem found in a layout, as text (empty when the layout is sound).
fn problems(l: &Layout) -> Vec<String> {
    let mut out = Vec::new();
    let mut rects: Vec<(String, R)> = Vec::new();
    for n in &l.nodes {
        rects.push((
            format!("node {}", n.id),
            R {
                x: n.x,
                y: n.y,
                w: n.w,
                h: n.h,
            },
        ));
    }
    for g in &l.groups {
        rects.push((
            format!("group {}", g.id),
            R {
                x: g.x,
                y: g.y,
                w: g.w,
                h: g.h,
            },
        ));
    }
    for (name, r) in &rects {
        if r.x < 0.0 || r.y < 0.0 || r.x + r.w > l.width + 0.01 || r.y + r.h > l.height + 0.01 {
            out.push(format!("{name} lies outside the drawing"));
        }
        if !(r.w > 0.0 && r.h > 0.0) {
            out.push(format!("{name} has no size"));
        }
    }
    for i in 0..rects.len() {
        for j in i + 1..rects.len() {
            let (a, ra) = &rects[i];
            let (b, rb) = &rects[j];
            if ra.overlaps(rb) && !ra.contains(rb) && !rb.contains(ra) {
                out.push(format!("{a} overlaps {b}"));
            }
        }
    }
    let ids: HashSet<&str> = l.nodes.iter().map(|n| n.id.as_str()).collect();
    if ids.len() != l.nodes.len() {
        out.push("node ids repeat".into());
    }
    for n in &l.nodes {
        if let Some(p) = &n.parent {
            match l.groups.iter().find(|g| &g.id == p) {
                Some(g) => {
                    let rg = R {
                        x: g.x,
                        y: g.y,
                        w: g.w,
                        h: g.h,
                    };
                    if !rg.contains(&R {
                        x: n.x,
                        y: n.y,
                        w: n.w,
                        h: n.h,
                    }) {
                        out.push(format!("node {} is not inside its group {p}", n.id));
                    }
                }
                None => out.push(format!("node {} has a missing parent {p}", n.id)),
            }
        }
    }
    for e in &l.edges {
        for end in [&e.from, &e.to] {
            if !ids.contains(end.as_str()) {
                out.push(format!(
                    "edge {} -> {} has a missing endpoint",
                    e.from, e.to
                ));
            }
        }
        if e.points.len() < 2 {
            out.push(format!("edge {} -> {} has no polyline", e.from, e.to));
        }
    }
    out
}

fn node<'a>(l: &'a Layout, id: &str) -> &'a console::layout::Node {
    l.nodes
        .iter()
        .find(|n| n.id == id)
        .unwrap_or_else(|| panic!("no node {id}"))
}

fn every_feature() -> Value {
    json!({
      "Comment": "every state type, nesting and edge kind",
      "StartAt": "Check",
      "States": {
        "Check": {"Type": "Choice", "Choices": [
            {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"},
            {"And": [{"Variable": "$.s", "IsPresent": true}, {"Variable": "$.s", "StringEquals": "x"}], "Next": "Fan"}
          ], "Default": "Wait1"},
        "Wait1": {"Type": "Wait", "Seconds": 1, "Next": "Check"},
        "Big": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Fan",
          "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}]},
        "Fan": {"Type": "Parallel", "Next": "Each", "Branches": [
          {"StartAt": "A1", "States": {"A1": {"Type": "Pass", "Next": "A2"}, "A2": {"Type": "Pass", "End": true}}},
          {"StartAt": "B1", "States": {"B1": {"Type": "Succeed"}}}
        ], "Catch": [{"ErrorEquals": ["States.TaskFailed", "Custom"], "Next": "Failed"}]},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {"StartAt": "Inner",
          "States": {"Inner": {"Type": "Map", "Iterator": {"StartAt": "Deep", "States": {"Deep": {"Type": "Pass", "End": true}}}, "End": true}}},
          "Next": "Done"},
        "Done": {"Type": "Succeed"},
        "Failed": {"Type": "Fail", "Error": "Oops"}
      }
    })
}

#[test]
fn every_feature_is_drawn_without_overlap() {
    let l = layout(&every_feature()).expect("lays out");
    assert_eq!(problems(&l), Vec::<String>::new());
    // Start and End marks, all states including nested ones.
    for id in [
        "__start__",
        "__end__",
        "Check",
        "Wait1",
        "Big",
        "Fan",
        "A1",
        "A2",
        "B1",
        "Each",
        "Inner",
        "Deep",
        "Done",
        "Failed",
    ] {
        node(&l, id);
    }
    assert!(node(&l, "Fan").compound && node(&l, "Each").compound && node(&l, "Inner").compound);
    assert_eq!(l.groups.iter().filter(|g| g.parent == "Fan").count(), 2);
    assert_eq!(node(&l, "A1").parent.as_deref(), Some("Fan/branch1"));
    assert_eq!(
        node(&l, "Deep").path,
        "/States/Each/ItemProcessor/States/Inner/Iterator/States/Deep"
    );
    // Edge kinds and labels.
    let edge = |from: &str, to: &str, kind: EdgeKind| {
        l.edges
            .iter()
            .find(|e| e.from == from && e.to == to && e.kind == kind)
            .unwrap_or_else(|| panic!("no {kind:?} edge {from} -> {to}"))
    };
    assert_eq!(
        edge("Check", "Big", EdgeKind::Choice).label.as_deref(),
        Some("$.n > 10")
    );
    assert_eq!(
        edge("Check", "Fan", EdgeKind::Choice).label.as_deref(),
        Some("$.s is present && $.s == \"x\"")
    );
    assert_eq!(
        edge("Check", "Wait1", EdgeKind::Default).label.as_deref(),
        Some("Default")
    );
    assert_eq!(
        edge("Big", "Failed", EdgeKind::Catch).label.as_deref(),
        Some("Catch States.ALL")
    );
    assert_eq!(
        edge("Fan", "Failed", EdgeKind::Catch).label.as_deref(),
        Some("Catch States.TaskFailed, Custom")
    );
    edge("__start__", "Check", EdgeKind::Start);
    edge("Done", "__end__", EdgeKind::End);
    edge("Failed", "__end__", EdgeKind::End);
    edge("A1", "A2", EdgeKind::Next);
    // Flow goes down: Start on top, End at the bottom, Check above Big.
    assert!(node(&l, "__start__").y < node(&l, "Check").y);
    assert!(node(&l, "Check").y < node(&l, "Big").y);
    let end = node(&l, "__end__");
    assert!(l.nodes.iter().all(|n| n.id == "__end__" || n.y < end.y));
    // The loop back Wait1 -> Check is drawn, from Wait1 to Check.
    let back = edge("Wait1", "Check", EdgeKind::Next);
    let w = node(&l, "Wait1");
    let first = back.points.first().copied().unwrap_or_default();
    assert!(
        first[1] >= w.y && first[1] <= w.y + w.h,
        "back edge leaves Wait1"
    );
    // Renderers carry every state.
    let svg = to_svg(&l);
    assert!(
        svg.starts_with("<svg") && svg.contains(r#"data-id="Deep""#) && svg.contains("sl-e-catch")
    );
    let mm = to_mermaid(&l);
    assert!(
        mm.starts_with("flowchart TD")
            && mm.contains("-.->|\"Catch States.ALL\"|")
            && mm.contains("subgraph")
    );
    let dot = to_dot(&l);
    assert!(dot.contains("\"Big\" -> \"Failed\" [label=\"Catch States.ALL\", style=dashed"));
    assert!(dot.contains("cluster_Fan/branch1"));
}

#[test]
fn tolerant_of_half_typed_definitions() {
    // Unknown targets, missing StartAt, a state without Type: still drawn, bad edges dropped.
    let l = layout(&json!({"States": {"A": {"Type": "Pass", "Next": "Nowhere"}, "B": {}}}))
        .expect("lays out");
    assert_eq!(problems(&l), Vec::<String>::new());
    assert!(l.edges.iter().any(|e| e.from == "__start__" && e.to == "A"));
    assert!(!l.edges.iter().any(|e| e.to == "Nowhere"));
    assert_eq!(node(&l, "B").state_type, "?");
    assert_eq!(
        layout(&json!({"StartAt": "A"})).err(),
        Some(LayoutError::NoStates)
    );
    assert_eq!(layout(&json!([1])).err(), Some(LayoutError::NoStates));
}

#[test]
fn self_loop_and_repeated_names() {
    let l = layout(&json!({"StartAt": "P", "States": {
    "P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "X", "States": {"X": {"Type": "Pass", "End": true}}},
        {"StartAt": "X", "States": {"X": {"Type": "Wait", "Seconds": 1, "Next": "X"}}}
    ]}}}))
    .expect("lays out");
    assert_eq!(problems(&l), Vec::<String>::new());
    assert!(l.nodes.iter().any(|n| n.id == "X#2" && n.name == "X"));
    assert!(l.edges.iter().any(|e| e.from == "X#2" && e.to == "X#2"));
}

#[test]
fn nesting_is_bounded() {
    let mut def = json!({"StartAt": "S", "States": {"S": {"Type": "Pass", "End": true}}});
    for _ in 0..40 {
        def = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": def, "End": true}}});
    }
    assert_eq!(layout(&def).err(), Some(LayoutError::TooDeep));
}

/// A 300-state definition (a chain of Choices with Catch edges back): laid out without overlap,
/// and fast enough for the designer to redraw as you type.
#[test]
fn three_hundred_states() {
    let def = big_definition(300);
    let t = std::time::Instant::now();
    let l = layout(&def).expect("lays out");
    let took = t.elapsed();
    println!(
        "300-state layout: {took:?}, {} nodes, {} edges",
        l.nodes.len(),
        l.edges.len()
    );
    assert_eq!(problems(&l), Vec::<String>::new());
    assert_eq!(l.nodes.len(), 302);
}

/// Thousands of states all catching back to the first: long edges past the dummy budget are
/// drawn straight, and the layout stays quick and sound.
#[test]
fn many_long_back_edges_stay_bounded() {
    let n = 3000;
    let mut states = serde_json::Map::new();
    for i in 0..n {
        let st = if i + 1 == n {
            json!({"Type": "Succeed"})
        } else {
            json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": format!("S{}", i + 1),
                   "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "S0"}]})
        };
        states.insert(format!("S{i}"), st);
    }
    let t = std::time::Instant::now();
    let l = layout(&json!({"StartAt": "S0", "States": states})).expect("lays out");
    println!("3000 states with back edges: {:?}", t.elapsed());
    assert_eq!(l.nodes.len(), n + 2);
    assert!(l.edges.iter().all(|e| e.points.len() >= 2));
    assert_eq!(
        l.edges.iter().filter(|e| e.kind == EdgeKind::Catch).count(),
        n - 1
    );
}

pub fn big_definition(n: usize) -> Value {
    let mut states = serde_json::Map::new();
    for i in 0..n {
        let name = format!("S{i}");
        let next = format!("S{}", i + 1);
        let st = if i + 1 == n {
            json!({"Type": "Succeed"})
        } else if i % 10 == 0 {
            json!({"Type": "Choice", "Choices": [{"Variable": "$.v", "NumericEquals": i, "Next": next}],
                   "Default": format!("S{}", (i + 5).min(n - 1))})
        } else if i % 7 == 0 {
            json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": next,
                   "Catch": [{"ErrorEquals": ["States.ALL"], "Next": format!("S{}", i / 2)}]})
        } else {
            json!({"Type": "Pass", "Next": next})
        };
        states.insert(name, st);
    }
    json!({"StartAt": "S0", "States": states})
}

fn corpus_dir() -> PathBuf {
    match std::env::var("STEPLINE_CORPUS") {
        Ok(p) => PathBuf::from(p),
        Err(_) => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
    }
}

/// Every definition of the public corpus lays out without overlap. There is no pass list to
/// ratchet: every definition must pass.
#[test]
fn corpus_definitions_have_no_overlap() {
    let dir = corpus_dir().join("localstack");
    let index = dir.join("index.json");
    let Ok(text) = std::fs::read_to_string(&index) else {
        println!(
            "SKIPPED: corpus not found at {} (set STEPLINE_CORPUS)",
            index.display()
        );
        return;
    };
    let cases: Vec<Value> = serde_json::from_str(&text).expect("index.json parses");
    let mut seen = HashSet::new();
    let (mut laid, mut refused, mut failures) = (0usize, 0usize, Vec::new());
    for case in &cases {
        let Some(file) = case.get("file").and_then(Value::as_str) else {
            continue;
        };
        let Ok(t) = std::fs::read_to_string(dir.join(file)) else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<Value>(&t) else {
            continue;
        };
        let Some(def) = v.get("definition") else {
            continue;
        };
        let def = match def {
            Value::String(s) => match serde_json::from_str::<Value>(s) {
                Ok(d) => d,
                Err(_) => continue,
            },
            d => d.clone(),
        };
        if !seen.insert(def.to_string()) {
            continue;
        }
        match layout(&def) {
            Ok(l) => {
                laid += 1;
                let p = problems(&l);
                if !p.is_empty() {
                    failures.push(format!("{file}: {}", p.join("; ")));
                }
            }
            // Definitions AWS rejects for their shape (no States) are the only ones refused.
            Err(LayoutError::NoStates) => refused += 1,
            Err(e) => failures.push(format!("{file}: {e}")),
        }
    }
    println!("corpus: {laid} distinct definitions laid out, {refused} without a States object, {} with problems", failures.len());
    assert!(laid > 0, "no corpus definition was laid out");
    assert!(
        failures.is_empty(),
        "layout problems:\n{}",
        failures.join("\n")
    );
}
