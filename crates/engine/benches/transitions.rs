//! Criterion benchmarks of the issues' workloads ([`engine::workloads`]), history recorded
//! (EXPRESS: no 25,000-event cap). Throughput is reported in state transitions.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("transitions");
    g.sample_size(10);
    for w in engine::workloads::all() {
        let program = w.program().expect("workload compiles");
        let transitions = w.run(&program);
        g.throughput(Throughput::Elements(transitions as u64));
        g.bench_function(w.name, |b| b.iter(|| w.run(&program)));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
