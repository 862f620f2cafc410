//! Runs the corpus group `choice_operators` (AWS-recorded Choice evaluations) through the `asl`
//! Choice rule API and fails on any regression against the checked-in list.

#[path = "intrinsics_corpus_support/mod.rs"]
mod support;

#[test]
fn choice_operators_corpus() {
    let list = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/choice_corpus_passing.txt"
    );
    let regressed = support::check_group("choice_operators", list);
    assert!(
        regressed.is_empty(),
        "cases that used to pass now fail: {regressed:#?}"
    );
}
