//! The one layout of a state machine definition, used by `stepline graph` (SVG, Mermaid, DOT)
//! and by the console (JSON and the same SVG), so every view draws the same picture.
//!
//! The definition is read straight from JSON and tolerantly (a missing `Next`, an unknown
//! target or a half-typed state still draws), because the designer lays out definitions while
//! they are being typed. Each scope (the top level, each Parallel branch, a Map's item
//! processor) is laid out on its own; Parallel and Map states are compound boxes holding their
//! scopes' layouts.

mod render;
mod sugiyama;

pub use render::{to_dot, to_mermaid, to_svg};

use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::HashSet;
use sugiyama::Size;

/// Deepest nesting of Parallel/Map scopes laid out; deeper definitions are refused rather than
/// recursing without bound.
pub const MAX_DEPTH: usize = 32;

const NODE_H: f64 = 44.0;
const MARK_SIZE: f64 = 22.0;
const CHAR_W: f64 = 7.0;
const MAX_LABEL_CHARS: usize = 34;
const MAX_EDGE_LABEL_CHARS: usize = 40;
const GROUP_PAD: f64 = 14.0;
const GROUP_HEADER: f64 = 30.0;
const BRANCH_HEADER: f64 = 20.0;
const BRANCH_GAP: f64 = 18.0;
/// Margin around the whole drawing.
pub const MARGIN: f64 = 20.0;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LayoutError {
    #[error("The definition is not valid JSON: {0}")]
    Json(String),
    #[error("The definition must be a JSON object with a 'States' object")]
    NoStates,
    #[error("The definition nests Parallel/Map states deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    Start,
    End,
    State,
}

/// A positioned box. Parallel and Map states are `compound`: their box encloses their groups.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    /// Unique in the layout: the state name, suffixed with `#n` if a name repeats in scopes.
    pub id: String,
    /// The state name (what history events call it); empty for Start/End.
    pub name: String,
    pub kind: NodeKind,
    /// `Type` of the state (`Task`, `Choice`, ...); `Start`/`End` for the marks.
    #[serde(rename = "type")]
    pub state_type: String,
    /// The name as drawn (shortened when very long).
    pub label: String,
    /// JSON pointer of the state in the definition (`/States/P/Branches/0/States/A`), which
    /// is how validation diagnostics locate problems.
    pub path: String,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub compound: bool,
    /// Id of the group (branch or item processor) holding this node.
    pub parent: Option<String>,
}

/// A Parallel branch or a Map item processor, inside its compound node.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub id: String,
    /// `branch` or `processor`.
    pub kind: &'static str,
    pub label: String,
    /// The compound node holding this group.
    pub parent: String,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EdgeKind {
    Start,
    Next,
    Choice,
    Default,
    Catch,
    End,
}

#[derive(Debug, Clone, Serialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
    /// Short label as drawn (a Choice rule, `Default`, the caught errors).
    pub label: Option<String>,
    /// The full label when `label` had to be shortened.
    pub title: Option<String>,
    pub points: Vec<[f64; 2]>,
    /// Where the label's centre is drawn.
    pub label_at: Option<[f64; 2]>,
}

/// A whole laid-out definition, in absolute coordinates (margins included).
#[derive(Debug, Clone, Serialize)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    pub nodes: Vec<Node>,
    pub groups: Vec<Group>,
    pub edges: Vec<Edge>,
}

/// Lays out a definition given as JSON text.
pub fn layout_str(definition: &str) -> Result<Layout, LayoutError> {
    let v: Value =
        serde_json::from_str(definition).map_err(|e| LayoutError::Json(e.to_string()))?;
    layout(&v)
}

/// Lays out a parsed definition.
pub fn layout(definition: &Value) -> Result<Layout, LayoutError> {
    let obj = definition.as_object().ok_or(LayoutError::NoStates)?;
    let states = obj
        .get("States")
        .and_then(Value::as_object)
        .ok_or(LayoutError::NoStates)?;
    let start_at = obj.get("StartAt").and_then(Value::as_str);
    let mut ctx = Ctx {
        used: HashSet::new(),
    };
    let scope = build_scope(states, start_at, "", 0, true, &mut ctx)?;
    let mut out = Layout {
        width: scope.w + 2.0 * MARGIN,
        height: scope.h + 2.0 * MARGIN,
        nodes: Vec::new(),
        groups: Vec::new(),
        edges: Vec::new(),
    };
    scope.emit(MARGIN, MARGIN, None, &mut out);
    Ok(out)
}

struct Ctx {
    used: HashSet<String>,
}

impl Ctx {
    fn unique(&mut self, base: &str) -> String {
        if self.used.insert(base.to_string()) {
            return base.to_string();
        }
        let mut k = 2usize;
        loop {
            let id = format!("{base}#{k}");
            if self.used.insert(id.clone()) {
                return id;
            }
            k += 1;
        }
    }
}

/// A scope laid out in local coordinates.
struct Scope {
    w: f64,
    h: f64,
    items: Vec<Item>,
    edges: Vec<Edge>,
}

struct Item {
    node: Node,
    /// Groups of a compound node, with their scopes, in the node's local coordinates.
    groups: Vec<(Group, Scope)>,
}

impl Scope {
    /// Moves everything by (dx, dy) into `out`, setting parents.
    fn emit(self, dx: f64, dy: f64, parent: Option<&str>, out: &mut Layout) {
        for item in self.items {
            let mut node = item.node;
            node.x += dx;
            node.y += dy;
            node.parent = parent.map(str::to_string);
            let (nx, ny) = (node.x, node.y);
            let nid = node.id.clone();
            out.nodes.push(node);
            for (mut g, inner) in item.groups {
                g.x += nx;
                g.y += ny;
                let (gx, gy) = (g.x, g.y + BRANCH_HEADER);
                let gid = g.id.clone();
                g.parent.clone_from(&nid);
                out.groups.push(g);
                inner.emit(gx + GROUP_PAD, gy + GROUP_PAD / 2.0, Some(&gid), out);
            }
        }
        for mut e in self.edges {
            for p in e.points.iter_mut() {
                p[0] += dx;
                p[1] += dy;
            }
            if let Some(p) = e.label_at.as_mut() {
                p[0] += dx;
                p[1] += dy;
            }
            out.edges.push(e);
        }
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn text_w(s: &str) -> f64 {
    s.chars().count() as f64 * CHAR_W
}

struct PendingEdge {
    from: usize,
    to: usize,
    kind: EdgeKind,
    label: Option<String>,
}

fn build_scope(
    states: &Map<String, Value>,
    start_at: Option<&str>,
    pointer: &str,
    depth: usize,
    top: bool,
    ctx: &mut Ctx,
) -> Result<Scope, LayoutError> {
    if depth > MAX_DEPTH {
        return Err(LayoutError::TooDeep);
    }
    let mut items: Vec<Item> = Vec::with_capacity(states.len() + 2);
    let mark = |ctx: &mut Ctx, kind: NodeKind, name: &str| Item {
        node: Node {
            id: ctx.unique(name),
            name: String::new(),
            kind,
            state_type: if kind == NodeKind::Start {
                "Start".into()
            } else {
                "End".into()
            },
            label: String::new(),
            path: String::new(),
            x: 0.0,
            y: 0.0,
            w: MARK_SIZE,
            h: MARK_SIZE,
            compound: false,
            parent: None,
        },
        groups: Vec::new(),
    };
    let start_idx = if top {
        items.push(mark(ctx, NodeKind::Start, "__start__"));
        Some(0)
    } else {
        None
    };
    let first_state = items.len();
    for (name, st) in states {
        let path = format!("{pointer}/States/{}", escape_pointer(name));
        items.push(build_state(name, st, &path, depth, ctx)?);
    }
    let end_idx = if top {
        items.push(mark(ctx, NodeKind::End, "__end__"));
        Some(items.len() - 1)
    } else {
        None
    };

    let index_of = |target: &str| -> Option<usize> {
        states
            .keys()
            .position(|k| k == target)
            .map(|i| i + first_state)
    };
    let mut pending: Vec<PendingEdge> = Vec::new();
    let entry = start_at.and_then(index_of).or(if states.is_empty() {
        None
    } else {
        Some(first_state)
    });
    if let (Some(s), Some(e)) = (start_idx, entry) {
        pending.push(PendingEdge {
            from: s,
            to: e,
            kind: EdgeKind::Start,
            label: None,
        });
    }
    for (i, st) in states.values().enumerate() {
        let from = i + first_state;
        let ty = st.get("Type").and_then(Value::as_str).unwrap_or("");
        let mut push = |to: Option<usize>, kind: EdgeKind, label: Option<String>| {
            if let Some(to) = to {
                pending.push(PendingEdge {
                    from,
                    to,
                    kind,
                    label,
                });
            }
        };
        if ty == "Choice" {
            if let Some(rules) = st.get("Choices").and_then(Value::as_array) {
                for rule in rules {
                    let to = rule.get("Next").and_then(Value::as_str).and_then(index_of);
                    push(to, EdgeKind::Choice, Some(rule_label(rule, 0)));
                }
            }
            let to = st.get("Default").and_then(Value::as_str).and_then(index_of);
            push(to, EdgeKind::Default, Some("Default".into()));
        } else if let Some(next) = st.get("Next").and_then(Value::as_str) {
            push(index_of(next), EdgeKind::Next, None);
        }
        let terminal =
            matches!(ty, "Succeed" | "Fail") || st.get("End") == Some(&Value::Bool(true));
        if terminal {
            push(end_idx, EdgeKind::End, None);
        }
        if let Some(catchers) = st.get("Catch").and_then(Value::as_array) {
            for c in catchers {
                let to = c.get("Next").and_then(Value::as_str).and_then(index_of);
                let errors: Vec<&str> = c
                    .get("ErrorEquals")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                push(
                    to,
                    EdgeKind::Catch,
                    Some(format!("Catch {}", errors.join(", "))),
                );
            }
        }
    }

    let sizes: Vec<Size> = items
        .iter()
        .map(|it| Size {
            w: it.node.w,
            h: it.node.h,
        })
        .collect();
    let pairs: Vec<(usize, usize)> = pending.iter().map(|e| (e.from, e.to)).collect();
    let placed = sugiyama::layout(&sizes, &pairs, start_idx.or(entry), end_idx);
    for (it, &(x, y)) in items.iter_mut().zip(&placed.pos) {
        it.node.x = x;
        it.node.y = y;
    }
    let mut edges = Vec::with_capacity(pending.len());
    for (pe, pts) in pending.into_iter().zip(placed.points) {
        let (Some(from), Some(to)) = (items.get(pe.from), items.get(pe.to)) else {
            continue;
        };
        let points: Vec<[f64; 2]> = pts.iter().map(|&(x, y)| [x, y]).collect();
        let label_at = pe.label.as_ref().map(|_| label_point(&points, pe.kind));
        let (label, title) = match pe.label {
            Some(l) if l.chars().count() > MAX_EDGE_LABEL_CHARS => {
                (Some(shorten(&l, MAX_EDGE_LABEL_CHARS)), Some(l))
            }
            l => (l, None),
        };
        edges.push(Edge {
            from: from.node.id.clone(),
            to: to.node.id.clone(),
            kind: pe.kind,
            label,
            title,
            points,
            label_at,
        });
    }
    spread_labels(&mut edges);
    let mut scope = Scope {
        w: placed.width,
        h: placed.height,
        items,
        edges,
    };
    // Labels and loop-backs may stick out left of the boxes: widen the scope to hold them.
    let (min_x, max_x) = scope_x_extent(&scope);
    if min_x < 0.0 {
        shift_scope(&mut scope, -min_x);
    }
    scope.w = scope.w.max(max_x - min_x.min(0.0));
    Ok(scope)
}

/// Width of a drawn edge label (also used by the SVG renderer).
pub(crate) fn label_w(label: &str) -> f64 {
    label.chars().count() as f64 * 5.9 + 10.0
}

const LABEL_H: f64 = 15.0;

fn scope_x_extent(scope: &Scope) -> (f64, f64) {
    let mut lo: f64 = 0.0;
    let mut hi: f64 = 0.0;
    for it in &scope.items {
        lo = lo.min(it.node.x);
        hi = hi.max(it.node.x + it.node.w);
    }
    for e in &scope.edges {
        for p in &e.points {
            lo = lo.min(p[0] - 2.0);
            hi = hi.max(p[0] + 2.0);
        }
        if let (Some(l), Some(at)) = (&e.label, e.label_at) {
            let w = label_w(l);
            lo = lo.min(at[0] - w / 2.0);
            hi = hi.max(at[0] + w / 2.0);
        }
    }
    (lo, hi)
}

/// Slides a label along its edge while it covers an earlier one (Choice rules fan out from one
/// point, so their labels start close together).
fn spread_labels(edges: &mut [Edge]) {
    let mut placed: Vec<[f64; 4]> = Vec::new();
    for e in edges.iter_mut() {
        let (Some(l), Some(mut at)) = (&e.label, e.label_at) else {
            continue;
        };
        let w = label_w(l);
        let total = polyline_len(&e.points);
        let mut along = distance_along(&e.points, at);
        let rect = |at: [f64; 2]| [at[0] - w / 2.0, at[1] - LABEL_H / 2.0, w, LABEL_H];
        let hits = |r: [f64; 4], placed: &[[f64; 4]]| {
            placed.iter().any(|p| {
                r[0] < p[0] + p[2] && p[0] < r[0] + r[2] && r[1] < p[1] + p[3] && p[1] < r[1] + r[3]
            })
        };
        let mut tries = 0;
        while hits(rect(at), &placed) && along + 8.0 < total && tries < 40 {
            along += 8.0;
            at = point_at(&e.points, along);
            tries += 1;
        }
        e.label_at = Some(at);
        placed.push(rect(at));
    }
}

fn seg_len(a: [f64; 2], b: [f64; 2]) -> f64 {
    ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt()
}

fn polyline_len(points: &[[f64; 2]]) -> f64 {
    points
        .windows(2)
        .map(|w| match w {
            [a, b] => seg_len(*a, *b),
            _ => 0.0,
        })
        .sum()
}

fn point_at(points: &[[f64; 2]], want: f64) -> [f64; 2] {
    let mut walked = 0.0;
    for w in points.windows(2) {
        if let [a, b] = w {
            let len = seg_len(*a, *b);
            if walked + len >= want && len > 0.0 {
                let t = (want - walked) / len;
                return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
            }
            walked += len;
        }
    }
    points.last().copied().unwrap_or([0.0, 0.0])
}

/// How far along the polyline a point on it lies (the nearest segment).
fn distance_along(points: &[[f64; 2]], p: [f64; 2]) -> f64 {
    let mut walked = 0.0;
    let mut best = (f64::INFINITY, 0.0);
    for w in points.windows(2) {
        if let [a, b] = w {
            let len = seg_len(*a, *b);
            let t = if len > 0.0 {
                (((p[0] - a[0]) * (b[0] - a[0]) + (p[1] - a[1]) * (b[1] - a[1])) / (len * len))
                    .clamp(0.0, 1.0)
            } else {
                0.0
            };
            let q = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
            let d = seg_len(p, q);
            if d < best.0 {
                best = (d, walked + t * len);
            }
            walked += len;
        }
    }
    best.1
}

/// A point on the polyline for the label: along the first segment for Choice rules (near the
/// Choice, where several rules fan out, each on its own line), else halfway.
fn label_point(points: &[[f64; 2]], kind: EdgeKind) -> [f64; 2] {
    let total = polyline_len(points);
    let want = match kind {
        EdgeKind::Choice | EdgeKind::Default => (total / 2.0).min(sugiyama::LAYER_GAP * 0.6),
        _ => total / 2.0,
    };
    point_at(points, want)
}

fn escape_pointer(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

fn build_state(
    name: &str,
    st: &Value,
    path: &str,
    depth: usize,
    ctx: &mut Ctx,
) -> Result<Item, LayoutError> {
    let ty = st.get("Type").and_then(Value::as_str).unwrap_or("?");
    let label = shorten(name, MAX_LABEL_CHARS);
    let id = ctx.unique(name);
    let base_w = (text_w(&label).max(text_w(ty)) + 32.0).max(96.0);
    let mut node = Node {
        id: id.clone(),
        name: name.to_string(),
        kind: NodeKind::State,
        state_type: ty.to_string(),
        label,
        path: path.to_string(),
        x: 0.0,
        y: 0.0,
        w: base_w,
        h: NODE_H,
        compound: false,
        parent: None,
    };
    let mut scopes: Vec<(String, &'static str, String, Scope)> = Vec::new();
    match ty {
        "Parallel" => {
            if let Some(branches) = st.get("Branches").and_then(Value::as_array) {
                for (i, b) in branches.iter().enumerate() {
                    let empty = Map::new();
                    let states = b.get("States").and_then(Value::as_object).unwrap_or(&empty);
                    let start = b.get("StartAt").and_then(Value::as_str);
                    let inner = build_scope(
                        states,
                        start,
                        &format!("{path}/Branches/{i}"),
                        depth + 1,
                        false,
                        ctx,
                    )?;
                    scopes.push((
                        ctx.unique(&format!("{id}/branch{}", i + 1)),
                        "branch",
                        format!("Branch {}", i + 1),
                        inner,
                    ));
                }
            }
        }
        "Map" => {
            let (key, proc) = match st.get("ItemProcessor") {
                Some(p) => ("ItemProcessor", Some(p)),
                None => ("Iterator", st.get("Iterator")),
            };
            if let Some(p) = proc {
                let empty = Map::new();
                let states = p.get("States").and_then(Value::as_object).unwrap_or(&empty);
                let start = p.get("StartAt").and_then(Value::as_str);
                let inner = build_scope(
                    states,
                    start,
                    &format!("{path}/{key}"),
                    depth + 1,
                    false,
                    ctx,
                )?;
                scopes.push((
                    ctx.unique(&format!("{id}/processor")),
                    "processor",
                    "Item processor".into(),
                    inner,
                ));
            }
        }
        _ => {}
    }
    let mut groups = Vec::new();
    if ty == "Parallel" || ty == "Map" {
        node.compound = true;
        let mut x = GROUP_PAD;
        let mut tallest: f64 = 0.0;
        for (gid, kind, label, inner) in scopes {
            let w = (inner.w + 2.0 * GROUP_PAD).max(text_w(&label) + 2.0 * GROUP_PAD);
            let h = inner.h + BRANCH_HEADER + GROUP_PAD;
            tallest = tallest.max(h);
            groups.push((
                Group {
                    id: gid,
                    kind,
                    label,
                    parent: id.clone(),
                    x,
                    y: GROUP_HEADER,
                    w,
                    h,
                },
                inner,
            ));
            x += w + BRANCH_GAP;
        }
        let inner_w = if groups.is_empty() {
            0.0
        } else {
            x - BRANCH_GAP + GROUP_PAD
        };
        node.w = inner_w.max(base_w + 40.0);
        node.h = GROUP_HEADER + tallest + GROUP_PAD;
        // Groups are as tall as the tallest so the box reads as one row of lanes.
        for (g, _) in groups.iter_mut() {
            g.h = tallest;
        }
        // Centre narrow branch rows under a wide header.
        let slack = node.w - inner_w.max(0.0);
        if slack > 0.0 && !groups.is_empty() {
            for (g, _) in groups.iter_mut() {
                g.x += slack / 2.0;
            }
        }
        // Centre each branch's drawing inside its lane.
        for (g, inner) in groups.iter_mut() {
            let extra = g.w - (inner.w + 2.0 * GROUP_PAD);
            if extra > 0.0 {
                shift_scope(inner, extra / 2.0);
            }
        }
    }
    Ok(Item { node, groups })
}

fn shift_scope(scope: &mut Scope, dx: f64) {
    for it in scope.items.iter_mut() {
        it.node.x += dx;
    }
    for e in scope.edges.iter_mut() {
        for p in e.points.iter_mut() {
            p[0] += dx;
        }
        if let Some(p) = e.label_at.as_mut() {
            p[0] += dx;
        }
    }
}

/// A one-line reading of a Choice rule: `$.x == 5`, `($.a > 1) && ($.b is present)`, or a
/// JSONata `Condition` without its `{% %}`.
pub fn rule_label(rule: &Value, depth: usize) -> String {
    if depth > 8 {
        return "…".into();
    }
    if let Some(c) = rule.get("Condition").and_then(Value::as_str) {
        let t = c.trim();
        let t = t.strip_prefix("{%").unwrap_or(t);
        let t = t.strip_suffix("%}").unwrap_or(t);
        return t.trim().to_string();
    }
    let join = |key: &str, op: &str| -> Option<String> {
        let parts = rule.get(key)?.as_array()?;
        Some(
            parts
                .iter()
                .map(|p| {
                    let s = rule_label(p, depth + 1);
                    if p.get("And").is_some() || p.get("Or").is_some() {
                        format!("({s})")
                    } else {
                        s
                    }
                })
                .collect::<Vec<_>>()
                .join(op),
        )
    };
    if let Some(s) = join("And", " && ") {
        return s;
    }
    if let Some(s) = join("Or", " || ") {
        return s;
    }
    if let Some(n) = rule.get("Not") {
        return format!("!({})", rule_label(n, depth + 1));
    }
    let var = rule.get("Variable").and_then(Value::as_str).unwrap_or("?");
    let Some(obj) = rule.as_object() else {
        return "?".into();
    };
    for (k, v) in obj {
        if matches!(
            k.as_str(),
            "Variable" | "Next" | "Comment" | "Assign" | "Output"
        ) {
            continue;
        }
        let (op_name, is_path) = match k.strip_suffix("Path") {
            Some(base) => (base, true),
            None => (k.as_str(), false),
        };
        if let Some(test) = op_name.strip_prefix("Is") {
            let yes = v.as_bool().unwrap_or(true);
            let what = test.to_lowercase();
            return if yes {
                format!("{var} is {what}")
            } else {
                format!("{var} is not {what}")
            };
        }
        let op = if op_name.ends_with("GreaterThanEquals") {
            ">="
        } else if op_name.ends_with("LessThanEquals") {
            "<="
        } else if op_name.ends_with("GreaterThan") {
            ">"
        } else if op_name.ends_with("LessThan") {
            "<"
        } else if op_name.ends_with("Equals") {
            "=="
        } else if op_name.ends_with("Matches") {
            "matches"
        } else {
            op_name
        };
        let val = match (is_path, v) {
            (true, Value::String(s)) => s.clone(),
            _ => v.to_string(),
        };
        return format!("{var} {op} {val}");
    }
    var.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rule_labels_read_like_conditions() {
        assert_eq!(
            rule_label(&json!({"Variable":"$.x","NumericEquals":5,"Next":"A"}), 0),
            "$.x == 5"
        );
        assert_eq!(
            rule_label(
                &json!({"Variable":"$.s","StringLessThanEqualsPath":"$.t","Next":"A"}),
                0
            ),
            "$.s <= $.t"
        );
        assert_eq!(
            rule_label(&json!({"Variable":"$.s","IsPresent":false}), 0),
            "$.s is not present"
        );
        assert_eq!(
            rule_label(
                &json!({"And":[{"Variable":"$.a","NumericGreaterThan":1},{"Not":{"Variable":"$.b","BooleanEquals":true}}],"Next":"A"}),
                0
            ),
            "$.a > 1 && !($.b == true)"
        );
        assert_eq!(
            rule_label(&json!({"Condition":"{% $states.input.n > 3 %}"}), 0),
            "$states.input.n > 3"
        );
    }
}
