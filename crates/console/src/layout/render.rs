//! Renderers of a [`Layout`]: SVG (the exact layout; also what the console inserts into the
//! page), Mermaid and DOT (the same graph for READMEs and reviews; DOT carries the positions as
//! `pos` so `neato -n` reproduces the layout).

use super::{EdgeKind, Layout, NodeKind};
use std::fmt::Write;

/// Shared by `stepline graph` and the console: classes are prefixed `sl-` so the console's
/// stylesheet can recolour states by execution status.
pub const SVG_STYLE: &str = r#"
.sl-graph text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:12px;fill:#1f2937}
.sl-graph .sl-type{font-size:9.5px;fill:#6b7280;letter-spacing:.02em}
.sl-graph .sl-shape{stroke-width:1.5}
.sl-graph .sl-t-Task .sl-shape{fill:#eaf2fd;stroke:#3b7dd8}
.sl-graph .sl-t-Pass .sl-shape{fill:#f3f4f6;stroke:#6b7280}
.sl-graph .sl-t-Wait .sl-shape{fill:#fff7e6;stroke:#d48806}
.sl-graph .sl-t-Choice .sl-shape{fill:#f4eeff;stroke:#7c3aed}
.sl-graph .sl-t-Succeed .sl-shape{fill:#ecfdf3;stroke:#16a34a}
.sl-graph .sl-t-Fail .sl-shape{fill:#fef2f2;stroke:#dc2626}
.sl-graph .sl-t-Parallel>.sl-shape,.sl-graph .sl-t-Map>.sl-shape{fill:#fbfbfd;stroke:#64748b;stroke-dasharray:6 4}
.sl-graph .sl-group rect{fill:#f1f5f9;stroke:#cbd5e1;stroke-dasharray:3 3}
.sl-graph .sl-group text{font-size:10px;fill:#64748b}
.sl-graph .sl-mark circle{fill:#374151;stroke:#374151}
.sl-graph .sl-mark.sl-end circle.sl-ring{fill:#fff;stroke:#374151;stroke-width:2}
.sl-graph .sl-edge path{fill:none;stroke:#64748b;stroke-width:1.4}
.sl-graph .sl-e-catch path{stroke:#ea580c;stroke-dasharray:5 4}
.sl-graph .sl-e-default path{stroke-dasharray:2 3}
.sl-graph .sl-elabel rect{fill:#fff;stroke:#e5e7eb}
.sl-graph .sl-elabel text{font-size:10px;fill:#374151}
.sl-graph .sl-e-catch .sl-elabel text{fill:#c2410c}
.sl-graph .sl-e-default .sl-elabel text{font-style:italic}
"#;

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

fn f(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r}")
    }
}

/// The layout as a standalone SVG document (with its stylesheet). The console inserts the
/// same markup: `data-id`/`data-name` attributes identify states for colouring and clicks.
pub fn to_svg(l: &Layout) -> String {
    let mut s = String::with_capacity(256 + l.nodes.len() * 400 + l.edges.len() * 250);
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="sl-graph" width="{w}" height="{h}" viewBox="0 0 {w} {h}"><style>{SVG_STYLE}</style><defs><marker id="sl-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#64748b"/></marker><marker id="sl-arrow-catch" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#ea580c"/></marker></defs>"##,
        w = f(l.width),
        h = f(l.height)
    );
    // Compound boxes, each followed by its lanes (in nesting order, so inner boxes stay
    // visible), then edges, then states on top.
    for n in l.nodes.iter().filter(|n| n.compound) {
        let _ = write!(
            s,
            r#"<g class="sl-node sl-t-{t}" data-id="{id}" data-name="{name}" data-path="{p}"><rect class="sl-shape" x="{x}" y="{y}" width="{w}" height="{h}" rx="10"/><text class="sl-type" x="{tx}" y="{ty1}">{t}</text><text x="{tx}" y="{ty2}" font-weight="600">{label}</text></g>"#,
            t = esc(&n.state_type),
            id = esc(&n.id),
            name = esc(&n.name),
            p = esc(&n.path),
            x = f(n.x),
            y = f(n.y),
            w = f(n.w),
            h = f(n.h),
            tx = f(n.x + 12.0),
            ty1 = f(n.y + 12.0),
            ty2 = f(n.y + 25.0),
            label = esc(&n.label)
        );
        for g in l.groups.iter().filter(|g| g.parent == n.id) {
            let _ = write!(
                s,
                r#"<g class="sl-group" data-id="{id}"><rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6"/><text x="{tx}" y="{ty}">{label}</text></g>"#,
                id = esc(&g.id),
                x = f(g.x),
                y = f(g.y),
                w = f(g.w),
                h = f(g.h),
                tx = f(g.x + 8.0),
                ty = f(g.y + 13.0),
                label = esc(&g.label)
            );
        }
    }
    // Edge labels are drawn last, above the boxes an edge may pass behind.
    let mut labels = String::new();
    for e in &l.edges {
        let kind = match e.kind {
            EdgeKind::Start => "start",
            EdgeKind::Next => "next",
            EdgeKind::Choice => "choice",
            EdgeKind::Default => "default",
            EdgeKind::Catch => "catch",
            EdgeKind::End => "end",
        };
        let mut d = String::new();
        for (i, p) in e.points.iter().enumerate() {
            let _ = write!(
                d,
                "{}{},{}",
                if i == 0 { "M" } else { "L" },
                f(p[0]),
                f(p[1])
            );
        }
        let marker = if e.kind == EdgeKind::Catch {
            "sl-arrow-catch"
        } else {
            "sl-arrow"
        };
        let _ = write!(
            s,
            r#"<g class="sl-edge sl-e-{kind}" data-from="{from}" data-to="{to}"><path d="{d}" marker-end="url(#{marker})"/>"#,
            from = esc(&e.from),
            to = esc(&e.to),
        );
        if let (Some(label), Some(at)) = (&e.label, e.label_at) {
            let w = super::label_w(label);
            let _ = write!(
                labels,
                r#"<g class="sl-e-{kind}" data-from="{from}" data-to="{to}"><g class="sl-elabel"><title>{title}</title><rect x="{x}" y="{y}" width="{w}" height="15" rx="3"/><text x="{tx}" y="{ty}" text-anchor="middle">{label}</text></g></g>"#,
                title = esc(e.title.as_deref().unwrap_or(label)),
                x = f(at[0] - w / 2.0),
                y = f(at[1] - 7.5),
                w = f(w),
                tx = f(at[0]),
                ty = f(at[1] + 3.5),
                label = esc(label),
                from = esc(&e.from),
                to = esc(&e.to),
            );
        }
        s.push_str("</g>");
    }
    for n in l.nodes.iter().filter(|n| !n.compound) {
        let (cx, cy) = (n.x + n.w / 2.0, n.y + n.h / 2.0);
        match n.kind {
            NodeKind::Start => {
                let _ = write!(
                    s,
                    r#"<g class="sl-mark sl-start" data-id="{id}"><circle cx="{cx}" cy="{cy}" r="{r}"/><title>Start</title></g>"#,
                    id = esc(&n.id),
                    cx = f(cx),
                    cy = f(cy),
                    r = f(n.w / 2.0)
                );
            }
            NodeKind::End => {
                let _ = write!(
                    s,
                    r#"<g class="sl-mark sl-end" data-id="{id}"><circle class="sl-ring" cx="{cx}" cy="{cy}" r="{r}"/><circle cx="{cx}" cy="{cy}" r="{r2}"/><title>End</title></g>"#,
                    id = esc(&n.id),
                    cx = f(cx),
                    cy = f(cy),
                    r = f(n.w / 2.0),
                    r2 = f(n.w / 2.0 - 5.0)
                );
            }
            NodeKind::State => {
                let shape = match n.state_type.as_str() {
                    "Choice" => {
                        let b = 12.0;
                        format!(
                            r#"<polygon class="sl-shape" points="{},{} {},{} {},{} {},{} {},{} {},{}"/>"#,
                            f(n.x + b),
                            f(n.y),
                            f(n.x + n.w - b),
                            f(n.y),
                            f(n.x + n.w),
                            f(cy),
                            f(n.x + n.w - b),
                            f(n.y + n.h),
                            f(n.x + b),
                            f(n.y + n.h),
                            f(n.x),
                            f(cy)
                        )
                    }
                    t => {
                        let rx = if t == "Succeed" || t == "Fail" {
                            n.h / 2.0
                        } else {
                            6.0
                        };
                        format!(
                            r#"<rect class="sl-shape" x="{}" y="{}" width="{}" height="{}" rx="{}"/>"#,
                            f(n.x),
                            f(n.y),
                            f(n.w),
                            f(n.h),
                            f(rx)
                        )
                    }
                };
                let _ = write!(
                    s,
                    r#"<g class="sl-node sl-t-{t}" data-id="{id}" data-name="{name}" data-path="{p}">{shape}<text class="sl-type" x="{cx}" y="{ty1}" text-anchor="middle">{t}</text><text x="{cx}" y="{ty2}" text-anchor="middle">{label}</text><title>{name}</title></g>"#,
                    t = esc(&n.state_type),
                    id = esc(&n.id),
                    name = esc(&n.name),
                    p = esc(&n.path),
                    cx = f(cx),
                    ty1 = f(n.y + 16.0),
                    ty2 = f(n.y + 32.0),
                    label = esc(&n.label)
                );
            }
        }
    }
    s.push_str(&labels);
    s.push_str("</svg>\n");
    s
}

fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

/// The same graph as a Mermaid flowchart (Mermaid lays it out itself).
pub fn to_mermaid(l: &Layout) -> String {
    let ids: std::collections::HashMap<&str, String> = l
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), format!("n{i}")))
        .collect();
    let id = |k: &str| ids.get(k).cloned().unwrap_or_else(|| "missing".into());
    let mut s = String::from("flowchart TD\n");
    // Nodes are written inside their groups' subgraphs, groups inside their compound's.
    fn write_scope(
        l: &Layout,
        parent: Option<&str>,
        indent: usize,
        id: &dyn Fn(&str) -> String,
        s: &mut String,
        depth: usize,
    ) {
        if depth > super::MAX_DEPTH + 1 {
            return;
        }
        let pad = "  ".repeat(indent);
        for n in l.nodes.iter().filter(|n| n.parent.as_deref() == parent) {
            let nid = id(&n.id);
            let text = mermaid_text(&n.label);
            match (n.kind, n.state_type.as_str()) {
                (NodeKind::Start, _) => {
                    let _ = writeln!(s, "{pad}{nid}((\"Start\"))");
                }
                (NodeKind::End, _) => {
                    let _ = writeln!(s, "{pad}{nid}(((\"End\")))");
                }
                (_, "Parallel") | (_, "Map") => {
                    let _ = writeln!(s, "{pad}subgraph {nid}[\"{text} ({})\"]", n.state_type);
                    for g in l.groups.iter().filter(|g| g.parent == n.id) {
                        let _ = writeln!(
                            s,
                            "{pad}  subgraph {}[\"{}\"]",
                            id(&g.id),
                            mermaid_text(&g.label)
                        );
                        write_scope(l, Some(&g.id), indent + 2, id, s, depth + 1);
                        let _ = writeln!(s, "{pad}  end");
                    }
                    let _ = writeln!(s, "{pad}end");
                }
                (_, "Choice") => {
                    let _ = writeln!(s, "{pad}{nid}{{\"{text}\"}}");
                }
                (_, "Succeed") | (_, "Fail") => {
                    let _ = writeln!(s, "{pad}{nid}([\"{text}\"])");
                }
                (_, t) => {
                    let _ = writeln!(s, "{pad}{nid}[\"{text}<br/><small>{t}</small>\"]");
                }
            }
        }
    }
    let ids_for_groups: std::collections::HashMap<&str, String> = l
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.id.as_str(), format!("g{i}")))
        .collect();
    let all = |k: &str| ids_for_groups.get(k).cloned().unwrap_or_else(|| id(k));
    write_scope(l, None, 1, &all, &mut s, 0);
    for e in &l.edges {
        let arrow = if e.kind == EdgeKind::Catch {
            "-.->"
        } else {
            "-->"
        };
        match &e.label {
            Some(t) => {
                let _ = writeln!(
                    s,
                    "  {} {arrow}|\"{}\"| {}",
                    all(&e.from),
                    mermaid_text(t),
                    all(&e.to)
                );
            }
            None => {
                let _ = writeln!(s, "  {} {arrow} {}", all(&e.from), all(&e.to));
            }
        }
    }
    for n in &l.nodes {
        if n.kind == NodeKind::State && !n.compound {
            let class = match n.state_type.as_str() {
                "Task" => "task",
                "Choice" => "choice",
                "Succeed" => "succeed",
                "Fail" => "fail",
                "Wait" => "wait",
                _ => "pass",
            };
            let _ = writeln!(s, "  class {} {class}", all(&n.id));
        }
    }
    s.push_str("  classDef task fill:#eaf2fd,stroke:#3b7dd8\n  classDef choice fill:#f4eeff,stroke:#7c3aed\n  classDef succeed fill:#ecfdf3,stroke:#16a34a\n  classDef fail fill:#fef2f2,stroke:#dc2626\n  classDef wait fill:#fff7e6,stroke:#d48806\n  classDef pass fill:#f3f4f6,stroke:#6b7280\n");
    s
}

fn dot_text(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The same graph in Graphviz DOT. Positions (points, y up) are in `pos`, so `neato -n2`
/// draws this exact layout while `dot` lays it out on its own.
pub fn to_dot(l: &Layout) -> String {
    let mut s = String::from(
        "digraph StateMachine {\n  graph [rankdir=TB, fontname=\"Helvetica\"];\n  node [fontname=\"Helvetica\", fontsize=11, style=filled];\n  edge [fontname=\"Helvetica\", fontsize=9];\n",
    );
    let h = l.height;
    fn write_scope(l: &Layout, parent: Option<&str>, s: &mut String, h: f64, depth: usize) {
        if depth > super::MAX_DEPTH + 1 {
            return;
        }
        for n in l.nodes.iter().filter(|n| n.parent.as_deref() == parent) {
            let pos = format!("{},{}", f(n.x + n.w / 2.0), f(h - (n.y + n.h / 2.0)));
            if n.compound {
                let _ = writeln!(
                    s,
                    "  subgraph \"cluster_{}\" {{\n    label=\"{} ({})\"; style=dashed;",
                    dot_text(&n.id),
                    dot_text(&n.label),
                    n.state_type
                );
                for g in l.groups.iter().filter(|g| g.parent == n.id) {
                    let _ = writeln!(
                        s,
                        "  subgraph \"cluster_{}\" {{\n    label=\"{}\"; style=\"dashed,filled\"; fillcolor=\"#f1f5f9\";",
                        dot_text(&g.id),
                        dot_text(&g.label)
                    );
                    write_scope(l, Some(&g.id), s, h, depth + 1);
                    s.push_str("  }\n");
                }
                // A point node so edges into/out of the compound state have an endpoint.
                let _ = writeln!(
                    s,
                    "    \"{}\" [shape=point, width=0.05, pos=\"{pos}\"];\n  }}",
                    dot_text(&n.id)
                );
                continue;
            }
            let (shape, fill, label) = match (n.kind, n.state_type.as_str()) {
                (NodeKind::Start, _) => ("circle", "#374151", String::new()),
                (NodeKind::End, _) => ("doublecircle", "#374151", String::new()),
                (_, "Choice") => ("hexagon", "#f4eeff", n.label.clone()),
                (_, "Succeed") => ("box\", style=\"rounded,filled", "#ecfdf3", n.label.clone()),
                (_, "Fail") => ("box\", style=\"rounded,filled", "#fef2f2", n.label.clone()),
                (_, "Wait") => ("box", "#fff7e6", n.label.clone()),
                (_, "Task") => ("box", "#eaf2fd", n.label.clone()),
                _ => ("box", "#f3f4f6", n.label.clone()),
            };
            let size = if n.kind == NodeKind::State {
                String::new()
            } else {
                ", width=0.25, height=0.25, fixedsize=true".into()
            };
            let _ = writeln!(
                s,
                "    \"{}\" [label=\"{}\", shape=\"{shape}\", fillcolor=\"{fill}\", pos=\"{pos}\"{size}];",
                dot_text(&n.id),
                dot_text(&label)
            );
        }
    }
    write_scope(l, None, &mut s, h, 0);
    for e in &l.edges {
        let mut attrs: Vec<String> = Vec::new();
        if let Some(t) = &e.label {
            attrs.push(format!("label=\"{}\"", dot_text(t)));
        }
        match e.kind {
            EdgeKind::Catch => attrs.push("style=dashed, color=\"#ea580c\"".into()),
            EdgeKind::Default => attrs.push("style=dotted".into()),
            _ => {}
        }
        let _ = writeln!(
            s,
            "  \"{}\" -> \"{}\"{};",
            dot_text(&e.from),
            dot_text(&e.to),
            if attrs.is_empty() {
                String::new()
            } else {
                format!(" [{}]", attrs.join(", "))
            }
        );
    }
    s.push_str("}\n");
    s
}
