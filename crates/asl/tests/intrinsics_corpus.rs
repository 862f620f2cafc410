//! Runs the corpus group `intrinsic_functions` (AWS-recorded executions of small Pass machines)
//! through the `asl` evaluation API and fails on any regression against the checked-in list.

#[path = "intrinsics_corpus_support/mod.rs"]
mod support;

#[test]
fn intrinsic_functions_corpus() {
    let list = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/intrinsics_corpus_passing.txt"
    );
    let regressed = support::check_group("intrinsic_functions", list);
    assert!(
        regressed.is_empty(),
        "cases that used to pass now fail: {regressed:#?}"
    );
}
