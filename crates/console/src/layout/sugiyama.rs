//! A layered (Sugiyama-style) layout of one scope's graph: cycle removal by DFS, longest-path
//! layering, dummy nodes on long edges, barycenter ordering with crossing counting, and
//! coordinate assignment by averaging two feasible packings (so boxes in a layer never overlap).
//!
//! Indices used here are produced by this module (or by the caller from `nodes.len()`), never
//! read from a definition, so the indexing below cannot be driven out of range by input.

/// Horizontal gap between two boxes in the same layer.
const NODE_GAP: f64 = 36.0;
/// Horizontal gap next to a dummy (an edge passing through a layer).
const DUMMY_GAP: f64 = 14.0;
/// Vertical gap between layers (edge labels sit in it).
pub(crate) const LAYER_GAP: f64 = 64.0;
/// Ordering sweeps; the best ordering seen is kept.
const SWEEPS: usize = 12;
/// Dummy nodes allowed in one scope: many long back edges (every state catching to the first)
/// would otherwise need states x layers of them.
const MAX_DUMMIES: usize = 50_000;
/// Coordinate-assignment iterations.
const X_ITERATIONS: usize = 10;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Size {
    pub w: f64,
    pub h: f64,
}

/// A placed graph in local coordinates (top-left origin 0,0).
#[derive(Debug, Clone)]
pub(crate) struct Placed {
    /// Top-left corner of each input node.
    pub pos: Vec<(f64, f64)>,
    /// Polyline of each input edge, from its source box to its target box.
    pub points: Vec<Vec<(f64, f64)>>,
    pub width: f64,
    pub height: f64,
}

struct VNode {
    w: f64,
    h: f64,
    layer: usize,
    /// `None` for a dummy.
    real: Option<usize>,
}

/// Lays out `nodes` and `edges` (`(from, to)` indices into `nodes`). `first` is the node the DFS
/// starts from (the Start node or StartAt) so its edges point down; `last` (the End node), when
/// given, is forced into its own bottom layer.
pub(crate) fn layout(
    nodes: &[Size],
    edges: &[(usize, usize)],
    first: Option<usize>,
    last: Option<usize>,
) -> Placed {
    let n = nodes.len();
    if n == 0 {
        return Placed {
            pos: Vec::new(),
            points: vec![Vec::new(); edges.len()],
            width: 0.0,
            height: 0.0,
        };
    }

    // 1. Cycle removal: edges closing a DFS cycle are reversed for layering only.
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, &(a, b)) in edges.iter().enumerate() {
        if a != b {
            out[a].push(i);
        }
    }
    let mut reversed = vec![false; edges.len()];
    let mut color = vec![0u8; n];
    let order_roots: Vec<usize> = first.into_iter().chain(0..n).collect();
    for root in order_roots {
        if color[root] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        color[root] = 1;
        while let Some(top) = stack.last_mut() {
            let (v, k) = *top;
            if let Some(&e) = out[v].get(k) {
                top.1 += 1;
                let w = edges[e].1;
                match color[w] {
                    0 => {
                        color[w] = 1;
                        stack.push((w, 0));
                    }
                    1 => reversed[e] = true,
                    _ => {}
                }
            } else {
                color[v] = 2;
                stack.pop();
            }
        }
    }
    let dag: Vec<Option<(usize, usize)>> = edges
        .iter()
        .zip(&reversed)
        .map(|(&(a, b), &r)| {
            if a == b {
                None
            } else if r {
                Some((b, a))
            } else {
                Some((a, b))
            }
        })
        .collect();

    // 2. Longest-path layering over the DAG (Kahn order).
    let mut indeg = vec![0usize; n];
    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in dag.iter().flatten() {
        succ[a].push(b);
        indeg[b] += 1;
    }
    let mut layer = vec![0usize; n];
    let mut queue: std::collections::VecDeque<usize> = (0..n).filter(|&v| indeg[v] == 0).collect();
    while let Some(v) = queue.pop_front() {
        for &w in &succ[v] {
            layer[w] = layer[w].max(layer[v] + 1);
            indeg[w] -= 1;
            if indeg[w] == 0 {
                queue.push_back(w);
            }
        }
    }
    if let Some(e) = last {
        let deepest = (0..n)
            .filter(|&v| v != e)
            .map(|v| layer[v])
            .max()
            .unwrap_or(0);
        layer[e] = deepest + 1;
    }

    // 3. Dummy nodes: every DAG edge becomes a chain of unit-span segments.
    let mut vnodes: Vec<VNode> = nodes
        .iter()
        .enumerate()
        .map(|(i, s)| VNode {
            w: s.w,
            h: s.h,
            layer: layer[i],
            real: Some(i),
        })
        .collect();
    let mut chains: Vec<Vec<usize>> = Vec::with_capacity(edges.len());
    let mut dummies = 0usize;
    for d in &dag {
        let Some((a, b)) = *d else {
            chains.push(Vec::new());
            continue;
        };
        let mut chain = vec![a];
        let span = layer[b].saturating_sub(layer[a] + 1);
        if dummies + span > MAX_DUMMIES {
            // Past the budget, long edges are drawn straight rather than routed.
            chain.push(b);
            chains.push(chain);
            continue;
        }
        dummies += span;
        for l in layer[a] + 1..layer[b] {
            vnodes.push(VNode {
                w: 0.0,
                h: 0.0,
                layer: l,
                real: None,
            });
            chain.push(vnodes.len() - 1);
        }
        chain.push(b);
        chains.push(chain);
    }
    let vn = vnodes.len();
    let mut up: Vec<Vec<usize>> = vec![Vec::new(); vn];
    let mut down: Vec<Vec<usize>> = vec![Vec::new(); vn];
    // Neighbours through forward edges only: loops back should not pull a chain off its line.
    let mut up_f: Vec<Vec<usize>> = vec![Vec::new(); vn];
    let mut down_f: Vec<Vec<usize>> = vec![Vec::new(); vn];
    for (chain, &rev) in chains.iter().zip(&reversed) {
        for pair in chain.windows(2) {
            if let [a, b] = *pair {
                down[a].push(b);
                up[b].push(a);
                if !rev {
                    down_f[a].push(b);
                    up_f[b].push(a);
                }
            }
        }
    }
    let layers_n = vnodes.iter().map(|v| v.layer).max().unwrap_or(0) + 1;

    // 4. Ordering: initial order by DFS discovery from the top, then barycenter sweeps.
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); layers_n];
    {
        let mut seen = vec![false; vn];
        let starts: Vec<usize> = first.into_iter().chain(0..vn).collect();
        for s in starts {
            if seen[s] {
                continue;
            }
            let mut stack = vec![s];
            seen[s] = true;
            while let Some(v) = stack.pop() {
                layers[vnodes[v].layer].push(v);
                for &w in down[v].iter().rev() {
                    if !seen[w] {
                        seen[w] = true;
                        stack.push(w);
                    }
                }
            }
        }
    }
    let mut pos_in_layer = vec![0usize; vn];
    reindex(&layers, &mut pos_in_layer);
    let mut best = layers.clone();
    let mut best_cross = crossings(&layers, &down, &pos_in_layer);
    for sweep in 0..SWEEPS {
        if best_cross == 0 {
            break;
        }
        let downward = sweep % 2 == 0;
        let range: Vec<usize> = if downward {
            (1..layers_n).collect()
        } else {
            (0..layers_n.saturating_sub(1)).rev().collect()
        };
        let nbrs = if downward { &up } else { &down };
        for l in range {
            let mut keyed: Vec<(f64, usize)> = layers[l]
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let ns = &nbrs[v];
                    let key = if ns.is_empty() {
                        i as f64
                    } else {
                        ns.iter().map(|&u| pos_in_layer[u] as f64).sum::<f64>() / ns.len() as f64
                    };
                    (key, v)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            layers[l] = keyed.into_iter().map(|(_, v)| v).collect();
            for (i, &v) in layers[l].iter().enumerate() {
                pos_in_layer[v] = i;
            }
        }
        let c = crossings(&layers, &down, &pos_in_layer);
        if c < best_cross {
            best_cross = c;
            best = layers.clone();
        }
    }
    let layers = best;
    reindex(&layers, &mut pos_in_layer);

    // 5. X coordinates (centres): pack, then pull towards neighbours while staying feasible.
    let sep = |a: &VNode, b: &VNode| {
        let gap = if a.real.is_some() && b.real.is_some() {
            NODE_GAP
        } else {
            DUMMY_GAP
        };
        (a.w + b.w) / 2.0 + gap
    };
    let mut cx = vec![0.0f64; vn];
    for row in &layers {
        let mut x = 0.0;
        let mut prev: Option<usize> = None;
        for &v in row {
            x = match prev {
                Some(p) => x + sep(&vnodes[p], &vnodes[v]),
                None => vnodes[v].w / 2.0,
            };
            cx[v] = x;
            prev = Some(v);
        }
    }
    for it in 0..X_ITERATIONS {
        let downward = it % 2 == 0;
        let range: Vec<usize> = if downward {
            (0..layers_n).collect()
        } else {
            (0..layers_n).rev().collect()
        };
        for l in range {
            let row = &layers[l];
            if row.is_empty() {
                continue;
            }
            let desired: Vec<f64> = row
                .iter()
                .map(|&v| {
                    let (prefer, other) = if downward {
                        (&up_f[v], &down_f[v])
                    } else {
                        (&down_f[v], &up_f[v])
                    };
                    let ns = if !prefer.is_empty() {
                        prefer
                    } else if !other.is_empty() {
                        other
                    } else if downward {
                        &up[v]
                    } else {
                        &down[v]
                    };
                    if ns.is_empty() {
                        cx[v]
                    } else {
                        ns.iter().map(|&u| cx[u]).sum::<f64>() / ns.len() as f64
                    }
                })
                .collect();
            let k = row.len();
            // Two feasible packings (pushed right, pushed left); their average is feasible too.
            let mut a = desired.clone();
            for i in 1..k {
                a[i] = a[i].max(a[i - 1] + sep(&vnodes[row[i - 1]], &vnodes[row[i]]));
            }
            let mut b = desired;
            for i in (0..k.saturating_sub(1)).rev() {
                b[i] = b[i].min(b[i + 1] - sep(&vnodes[row[i]], &vnodes[row[i + 1]]));
            }
            for i in 0..k {
                cx[row[i]] = (a[i] + b[i]) / 2.0;
            }
        }
    }
    let min_left = (0..vn)
        .map(|v| cx[v] - vnodes[v].w / 2.0)
        .fold(f64::INFINITY, f64::min);
    for x in cx.iter_mut() {
        *x -= min_left;
    }
    let mut width = (0..vn)
        .map(|v| cx[v] + vnodes[v].w / 2.0)
        .fold(0.0, f64::max);

    // 6. Y coordinates: each layer as tall as its tallest box, boxes centred in it.
    let mut layer_h = vec![0.0f64; layers_n];
    for v in &vnodes {
        layer_h[v.layer] = layer_h[v.layer].max(v.h);
    }
    let mut layer_top = vec![0.0f64; layers_n];
    let mut y = 0.0;
    for l in 0..layers_n {
        layer_top[l] = y;
        y += layer_h[l] + LAYER_GAP;
    }
    let height = (y - LAYER_GAP).max(0.0);

    let mut pos = vec![(0.0, 0.0); n];
    for v in &vnodes {
        if let Some(r) = v.real {
            let top = layer_top[v.layer] + (layer_h[v.layer] - v.h) / 2.0;
            pos[r] = (cx[r] - v.w / 2.0, top);
        }
    }

    // 7. Edge polylines through their dummies.
    let mut points = Vec::with_capacity(edges.len());
    for (i, &(a, b)) in edges.iter().enumerate() {
        let (ax, ay) = pos[a];
        let sa = nodes[a];
        if a == b {
            let r = ax + sa.w;
            let cy = ay + sa.h / 2.0;
            points.push(vec![
                (r, cy - 8.0),
                (r + 22.0, cy - 8.0),
                (r + 22.0, cy + 8.0),
                (r, cy + 8.0),
            ]);
            width = width.max(r + 24.0);
            continue;
        }
        let (bx, by) = pos[b];
        let sb = nodes[b];
        let chain = &chains[i];
        let inner: &[usize] = if chain.len() > 2 {
            &chain[1..chain.len() - 1]
        } else {
            &[]
        };
        let mut pts = Vec::with_capacity(inner.len() * 2 + 3);
        if reversed[i] {
            // Drawn upward along the right-hand sides so it does not hide the forward edges.
            pts.push((ax + sa.w, ay + sa.h / 2.0));
            if inner.is_empty() {
                let x = (ax + sa.w).max(bx + sb.w) + 24.0;
                width = width.max(x + 2.0);
                pts.push((x, (ay + by + sb.h) / 2.0));
            }
            for &d in inner.iter().rev() {
                let l = vnodes[d].layer;
                pts.push((cx[d], layer_top[l] + layer_h[l]));
                pts.push((cx[d], layer_top[l]));
            }
            pts.push((bx + sb.w, by + sb.h / 2.0));
        } else {
            pts.push((ax + sa.w / 2.0, ay + sa.h));
            for &d in inner {
                let l = vnodes[d].layer;
                pts.push((cx[d], layer_top[l]));
                pts.push((cx[d], layer_top[l] + layer_h[l]));
            }
            pts.push((bx + sb.w / 2.0, by));
        }
        points.push(pts);
    }

    Placed {
        pos,
        points,
        width,
        height,
    }
}

fn reindex(layers: &[Vec<usize>], pos: &mut [usize]) {
    for l in layers {
        for (i, &v) in l.iter().enumerate() {
            pos[v] = i;
        }
    }
}

/// Edge crossings between adjacent layers (inversions of target positions).
fn crossings(layers: &[Vec<usize>], down: &[Vec<usize>], pos: &[usize]) -> usize {
    let mut total = 0;
    for l in layers {
        let mut segs: Vec<(usize, usize)> = Vec::new();
        for &v in l {
            for &w in &down[v] {
                segs.push((pos[v], pos[w]));
            }
        }
        segs.sort_unstable();
        // Merge-sort inversion count keeps a 300-way Choice cheap.
        let mut targets: Vec<usize> = segs.iter().map(|s| s.1).collect();
        total += inversions(&mut targets);
    }
    total
}

fn inversions(v: &mut [usize]) -> usize {
    let n = v.len();
    if n < 2 {
        return 0;
    }
    let mid = n / 2;
    let mut count = inversions(&mut v[..mid]) + inversions(&mut v[mid..]);
    let mut merged = Vec::with_capacity(n);
    let (mut i, mut j) = (0, mid);
    while i < mid && j < n {
        if v[i] <= v[j] {
            merged.push(v[i]);
            i += 1;
        } else {
            merged.push(v[j]);
            count += mid - i;
            j += 1;
        }
    }
    merged.extend_from_slice(&v[i..mid]);
    merged.extend_from_slice(&v[j..n]);
    v.copy_from_slice(&merged);
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inversions_counts_pairs() {
        assert_eq!(inversions(&mut [3, 2, 1]), 3);
        assert_eq!(inversions(&mut [1, 2, 3]), 0);
        assert_eq!(inversions(&mut [2, 1, 3, 1]), 3);
    }

    #[test]
    fn chain_is_vertical_and_cycle_is_layered() {
        let s = Size { w: 100.0, h: 40.0 };
        let p = layout(&[s, s, s], &[(0, 1), (1, 2), (2, 0)], Some(0), None);
        assert!(p.pos[0].1 < p.pos[1].1 && p.pos[1].1 < p.pos[2].1);
        assert_eq!(p.pos[0].0, p.pos[1].0);
        // The back edge 2 -> 0 leaves from node 2's right side and enters node 0's.
        let back = &p.points[2];
        assert_eq!(
            back.first().copied(),
            Some((p.pos[2].0 + 100.0, p.pos[2].1 + 20.0))
        );
        assert_eq!(
            back.last().copied(),
            Some((p.pos[0].0 + 100.0, p.pos[0].1 + 20.0))
        );
    }
}
