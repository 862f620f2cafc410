//! Runs the self-contained corpus cases of other groups whose machines use only Pass, Choice,
//! Succeed and Fail states (paths, payload templates, ResultPath...) through the `asl` evaluation
//! API and fails on any regression against the checked-in list.

#[path = "intrinsics_corpus_support/mod.rs"]
mod support;

#[test]
fn path_and_template_corpus() {
    let list = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/template_corpus_passing.txt"
    );
    let mut regressed = Vec::new();
    for group in ["base", "scenarios", "context_object", "api"] {
        regressed.extend(support::check_group(group, list));
    }
    assert!(
        regressed.is_empty(),
        "cases that used to pass now fail: {regressed:#?}"
    );
}
