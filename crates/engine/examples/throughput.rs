//! Rough transitions/s of the issues' workloads ([`engine::workloads`]), history recorded.
//! `cargo run --release -p engine --example throughput` (`stepline bench` does the same).

use std::time::Instant;

fn main() {
    for w in engine::workloads::all() {
        let program = w.program().expect("workload compiles");
        let runs = if w.name.contains("10000") { 3 } else { 500 };
        let start = Instant::now();
        let transitions: usize = (0..runs).map(|_| w.run(&program)).sum();
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{:28} {:>12.0} state transitions/s ({transitions} in {secs:.3}s)",
            w.name,
            transitions as f64 / secs
        );
    }
}
