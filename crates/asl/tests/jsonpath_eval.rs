//! JSONPath evaluation as AWS (Jayway) does it: every path form, definite vs indefinite results,
//! the error messages AWS records, Context/variable roots and ResultPath application.

use std::borrow::Cow;
use std::collections::HashMap;

use asl::jsonpath::{JsonPath, Root};
use asl::template::{Scope, SeededEntropy};
use serde_json::{json, Value};

fn eval(path: &str, doc: &Value) -> Value {
    JsonPath::parse(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .evaluate(doc)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .into_owned()
}

fn eval_err(path: &str, doc: &Value) -> String {
    match JsonPath::parse(path).unwrap().evaluate(doc) {
        Ok(v) => panic!("{path} should fail, got {v}"),
        Err(e) => e.message,
    }
}

fn store() -> Value {
    json!({
        "store": {
            "book": [
                {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
                {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12.99},
                {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553", "price": 8.99},
                {"category": "fiction", "author": "J. R. R. Tolkien", "title": "LOTR", "isbn": "0-395", "price": 22.99}
            ],
            "bicycle": {"color": "red", "price": 19.95}
        },
        "expensive": 10
    })
}

#[test]
fn root_returns_the_document_borrowed() {
    let doc = json!({"a": 1});
    let p = JsonPath::parse("$").unwrap();
    assert!(p.is_root_only());
    match p.evaluate(&doc).unwrap() {
        Cow::Borrowed(v) => assert!(std::ptr::eq(v, &doc)),
        Cow::Owned(_) => panic!("a definite path must borrow"),
    }
}

#[test]
fn dot_and_bracket_members() {
    let doc = json!({"a": {"b c": {"d": 1}, "int-literal": 2, "x": null}});
    assert_eq!(eval("$.a['b c'].d", &doc), json!(1));
    assert_eq!(eval("$['a'][\"b c\"]['d']", &doc), json!(1));
    assert_eq!(eval("$.a.int-literal", &doc), json!(2));
    assert_eq!(eval("$.a.x", &doc), Value::Null);
}

#[test]
fn quoted_names_keep_backslashes_as_aws_does() {
    // AWS-recorded: `$['Test\""Name"']` reads the key `Test\""Name"`.
    let doc = json!({"Test\\\"\"Name\"": "Value\"\\"});
    assert_eq!(eval("$['Test\\\"\"Name\"']", &doc), json!("Value\"\\"));
    // A backslash keeps the quote from ending the name.
    let doc = json!({"it\\'s": 1});
    assert_eq!(eval("$['it\\'s']", &doc), json!(1));
}

#[test]
fn indices_negative_indices_and_unions() {
    let doc = json!({"a": [10, 20, 30, 40]});
    assert_eq!(eval("$.a[0]", &doc), json!(10));
    assert_eq!(eval("$.a[-1]", &doc), json!(40));
    assert_eq!(eval("$.a[-4]", &doc), json!(10));
    assert_eq!(eval("$.a[0,2]", &doc), json!([10, 30]));
    assert_eq!(eval("$.a[3,0]", &doc), json!([40, 10]));
    assert_eq!(eval("$.a[0,9]", &doc), json!([10]));
}

#[test]
fn slices() {
    let doc = json!({"a": [0, 1, 2, 3, 4]});
    assert_eq!(eval("$.a[1:3]", &doc), json!([1, 2]));
    assert_eq!(eval("$.a[:2]", &doc), json!([0, 1]));
    assert_eq!(eval("$.a[3:]", &doc), json!([3, 4]));
    assert_eq!(eval("$.a[-2:]", &doc), json!([3, 4]));
    assert_eq!(eval("$.a[:-3]", &doc), json!([0, 1]));
    assert_eq!(eval("$.a[2:99]", &doc), json!([2, 3, 4]));
    assert_eq!(eval("$.a[3:1]", &doc), json!([]));
}

#[test]
fn wildcards() {
    let doc = json!({"o": {"x": 1, "y": [2]}, "a": [{"v": 1}, {"v": 2}, {"w": 3}]});
    assert_eq!(eval("$.o.*", &doc), json!([1, [2]]));
    assert_eq!(eval("$.o[*]", &doc), json!([1, [2]]));
    assert_eq!(eval("$.a[*].v", &doc), json!([1, 2]));
    assert_eq!(eval("$.a[*]", &doc), json!([{"v": 1}, {"v": 2}, {"w": 3}]));
}

#[test]
fn recursive_descent() {
    let doc = store();
    assert_eq!(
        eval("$..author", &doc),
        json!([
            "Nigel Rees",
            "Evelyn Waugh",
            "Herman Melville",
            "J. R. R. Tolkien"
        ])
    );
    assert_eq!(
        eval("$.store..price", &doc),
        json!([8.95, 12.99, 8.99, 22.99, 19.95])
    );
    assert_eq!(eval("$..book[2].title", &doc), json!(["Moby Dick"]));
    assert_eq!(eval("$..book[-1].title", &doc), json!(["LOTR"]));
    assert_eq!(eval("$..isbn", &doc), json!(["0-553", "0-395"]));
    let all = eval("$..*", &json!({"a": {"b": 1}, "c": [2]}));
    assert_eq!(all, json!([{"b": 1}, [2], 1, 2]));
}

#[test]
fn recursive_descent_on_deep_documents_does_not_overflow() {
    let mut v = json!({"k": 1});
    for _ in 0..5_000 {
        v = Value::Array(vec![v]);
    }
    let mut root = serde_json::Map::new();
    root.insert("root".to_string(), v);
    let doc = Value::Object(root);
    assert_eq!(eval("$..k", &doc), json!([1]));
    // serde_json drops values recursively; leak this one rather than test serde's stack.
    std::mem::forget(doc);
}

#[test]
fn multi_name_selector_merges_into_an_object() {
    let doc = json!({"a": 1, "b": 2, "c": 3});
    assert_eq!(eval("$['a','c']", &doc), json!({"a": 1, "c": 3}));
    assert_eq!(eval("$['a','zz']", &doc), json!({"a": 1}));
    let doc = json!({"x": {"a": {"v": 1}, "b": {"v": 2}}});
    assert_eq!(eval("$.x['a','b'].v", &doc), json!([1, 2]));
}

#[test]
fn filters_with_every_operator() {
    let doc = store();
    let titles = |path: &str| eval(&format!("{path}.title"), &doc);
    assert_eq!(
        titles("$.store.book[?(@.price < 10)]"),
        json!(["Sayings", "Moby Dick"])
    );
    assert_eq!(
        titles("$.store.book[?(@.price <= 8.99)]"),
        json!(["Sayings", "Moby Dick"])
    );
    assert_eq!(titles("$.store.book[?(@.price > 20)]"), json!(["LOTR"]));
    assert_eq!(titles("$.store.book[?(@.price >= 22.99)]"), json!(["LOTR"]));
    assert_eq!(
        titles("$.store.book[?(@.category == 'reference')]"),
        json!(["Sayings"])
    );
    assert_eq!(
        titles("$.store.book[?(@.category == \"reference\")]"),
        json!(["Sayings"])
    );
    assert_eq!(
        titles("$.store.book[?(@.category != 'fiction')]"),
        json!(["Sayings"])
    );
    assert_eq!(
        titles("$.store.book[?(@.isbn)]"),
        json!(["Moby Dick", "LOTR"])
    );
    assert_eq!(
        titles("$.store.book[?(!@.isbn)]"),
        json!(["Sayings", "Sword"])
    );
    assert_eq!(
        titles("$.store.book[?(@.author =~ /.*REES/i)]"),
        json!(["Sayings"])
    );
    assert_eq!(
        titles("$.store.book[?(@.author in ['Evelyn Waugh', 'Nigel Rees'])]"),
        json!(["Sayings", "Sword"])
    );
    assert_eq!(
        titles("$.store.book[?(@.category nin ['fiction'])]"),
        json!(["Sayings"])
    );
    assert_eq!(
        titles("$.store.book[?(@.price < 10 && @.category == 'fiction')]"),
        json!(["Moby Dick"])
    );
    assert_eq!(
        titles("$.store.book[?(@.price > 20 || @.category == 'reference')]"),
        json!(["Sayings", "LOTR"])
    );
    assert_eq!(
        titles("$.store.book[?(@.price > $.expensive)]"),
        json!(["Sword", "LOTR"])
    );
    assert_eq!(
        titles("$.store.book[?(!(@.price > 10))]"),
        json!(["Sayings", "Moby Dick"])
    );
    // AWS-recorded example.
    let doc = json!({"users": [{"year": 1997, "status": 0}, {"year": 1998, "status": 1}]});
    assert_eq!(
        eval("$.users[?(@.status == 0)]", &doc),
        json!([{"year": 1997, "status": 0}])
    );
}

#[test]
fn filter_string_literals_are_unescaped() {
    let doc = json!({"a": [{"n": "it's"}, {"n": "x\"y"}, {"n": "plain"}]});
    assert_eq!(eval(r"$.a[?(@.n == 'it\'s')].n", &doc), json!(["it's"]));
    assert_eq!(eval(r#"$.a[?(@.n == "x\"y")].n"#, &doc), json!(["x\"y"]));
}

#[test]
fn filter_collection_operators() {
    let doc = json!({"a": [
        {"n": "x", "tags": ["a", "b"], "s": "abc"},
        {"n": "y", "tags": [], "s": ""},
        {"n": "z", "tags": ["c"], "s": "zz"}
    ]});
    let names = |f: &str| eval(&format!("$.a[?({f})].n"), &doc);
    assert_eq!(names("@.tags size 2"), json!(["x"]));
    assert_eq!(names("@.s size 2"), json!(["z"]));
    assert_eq!(names("@.tags empty true"), json!(["y"]));
    assert_eq!(names("@.s empty false"), json!(["x", "z"]));
    assert_eq!(names("@.tags contains 'c'"), json!(["z"]));
    assert_eq!(names("@.s contains 'b'"), json!(["x"]));
    assert_eq!(
        names("@.tags subsetof ['a', 'b', 'c']"),
        json!(["x", "y", "z"])
    );
    assert_eq!(names("@.tags anyof ['b', 'c']"), json!(["x", "z"]));
    assert_eq!(names("@.tags noneof ['a']"), json!(["y", "z"]));
}

#[test]
fn filter_on_an_object_tests_the_object_itself() {
    let doc = json!({"o": {"x": 5}});
    assert_eq!(eval("$.o[?(@.x == 5)]", &doc), json!([{"x": 5}]));
    assert_eq!(eval("$.o[?(@.x == 6)]", &doc), json!([]));
}

#[test]
fn length_function() {
    let doc = json!({"a": [1, 2, 3], "o": {"k": 1, "l": 2}});
    assert_eq!(eval("$.a.length()", &doc), json!(3));
    assert_eq!(eval("$.o.length()", &doc), json!(2));
    assert_eq!(eval("$.a[?(@ > 1)].length()", &doc), json!(2));
    assert_eq!(eval("$.a.sum()", &doc), json!(6.0));
    assert_eq!(eval("$.a.max()", &doc), json!(3.0));
    assert_eq!(eval("$.a.min()", &doc), json!(1.0));
    assert_eq!(eval("$.a.avg()", &doc), json!(2.0));
    assert_eq!(eval("$.a.stddev()", &doc), json!((2.0f64 / 3.0).sqrt()));
    assert_eq!(eval("$.o.keys()", &doc), json!(["k", "l"]));
    assert_eq!(eval("$.a.first()", &doc), json!(1));
    assert_eq!(eval("$.a.last()", &doc), json!(3));
    assert!(JsonPath::parse("$.a.nope()").is_err());
    assert!(JsonPath::parse("$.a.length().x").is_err());
}

#[test]
fn definite_and_reference_paths() {
    for (p, definite, reference) in [
        ("$", true, true),
        ("$.a.b[0]", true, true),
        ("$['a']", true, true),
        ("$.a[-1]", true, true),
        ("$.a[*]", false, false),
        ("$..a", false, false),
        ("$.a[1:2]", false, false),
        ("$.a[?(@.x)]", false, false),
        ("$.a[0,1]", false, false),
        ("$['a','b']", true, false),
        ("$.a.length()", true, false),
    ] {
        let path = JsonPath::parse(p).unwrap();
        assert_eq!(path.is_definite(), definite, "{p} definite");
        assert_eq!(path.is_reference_path(), reference, "{p} reference");
    }
}

#[test]
fn missing_leaf_is_no_results_as_aws_records() {
    let doc = json!({"a": 1});
    assert_eq!(
        eval_err("$.NoSuchInputPath", &doc),
        "No results for path: $['NoSuchInputPath']"
    );
    let e = JsonPath::parse("$.NoSuchOutputPath")
        .unwrap()
        .evaluate(&doc)
        .unwrap_err();
    assert_eq!(
        e.invalid_path_cause(),
        "Invalid path '$.NoSuchOutputPath' : No results for path: $['NoSuchOutputPath']"
    );
    let err = e.into_runtime().in_state("pass", 2);
    assert_eq!(err.error, "States.Runtime");
    assert_eq!(
        err.cause,
        "An error occurred while executing the state 'pass' (entered at the event id #2). Invalid path '$.NoSuchOutputPath' : No results for path: $['NoSuchOutputPath']"
    );
}

#[test]
fn missing_intermediate_is_missing_property_as_aws_records() {
    assert_eq!(
        eval_err("$.no.such.result.path", &json!({})),
        "Missing property in path $['no']"
    );
    assert_eq!(
        eval_err("$.a.no.x", &json!({"a": {}})),
        "Missing property in path $['a']['no']"
    );
}

#[test]
fn definite_path_type_errors() {
    assert!(eval_err("$.a.b", &json!({"a": 5}))
        .starts_with("Expected to find an object with property ['b'] in path $['a'] but found"));
    assert_eq!(
        eval_err("$.a[0]", &json!({"a": {"x": 1}})),
        "Filter: [0] can only be applied to arrays. Current context is: {\"x\":1}"
    );
    assert_eq!(
        eval_err("$.a[5]", &json!({"a": [1]})),
        "No results for path: $['a'][5]"
    );
}

#[test]
fn indefinite_paths_never_fail() {
    // AWS-recorded: `$.items[*]` and friends on `{}` give `[]`.
    for p in [
        "$.items[*]",
        "$.items[1:]",
        "$.items[:1]",
        "$.item.items[1:5].itemValue",
        "$.items[*].itemValue",
        "$..nothing",
        "$.a[?(@.x)]",
    ] {
        assert_eq!(eval(p, &json!({})), json!([]), "{p}");
    }
    assert_eq!(eval("$.a[*].b", &json!({"a": [1, {"b": 2}]})), json!([2]));
}

#[test]
fn roots_in_a_scope() {
    let entropy = SeededEntropy::new(1);
    let input = json!({"x": 1});
    let context = json!({"Execution": {"Id": "arn:x"}});
    let mut vars = HashMap::new();
    vars.insert("myVar".to_string(), json!({"field": [7, 8]}));
    let scope = Scope::new(&input, &context, &entropy).with_variables(&vars);
    let get = |p: &str| {
        JsonPath::parse(p)
            .unwrap()
            .evaluate_in(&scope)
            .map(Cow::into_owned)
    };
    assert_eq!(get("$.x").unwrap(), json!(1));
    assert_eq!(get("$$.Execution.Id").unwrap(), json!("arn:x"));
    assert_eq!(get("$myVar.field[1]").unwrap(), json!(8));
    assert_eq!(get("$myVar").unwrap(), json!({"field": [7, 8]}));
    assert!(get("$other").is_err());
    assert_eq!(
        JsonPath::parse("$myVar.field").unwrap().root(),
        &Root::Variable("myVar".into())
    );
}

#[test]
fn result_path_set() {
    let set = |p: &str, target: Value, value: Value| JsonPath::parse(p).unwrap().set(target, value);
    assert_eq!(set("$", json!({"a": 1}), json!(5)).unwrap(), json!(5));
    assert_eq!(
        set("$.r", json!({"a": 1}), json!(5)).unwrap(),
        json!({"a": 1, "r": 5})
    );
    assert_eq!(
        set("$.a", json!({"a": 1, "b": 2}), json!(5)).unwrap(),
        json!({"a": 5, "b": 2})
    );
    assert_eq!(
        set("$.x.y.z", json!({"a": 1}), json!(true)).unwrap(),
        json!({"a": 1, "x": {"y": {"z": true}}})
    );
    assert_eq!(
        set("$.l[1]", json!({"l": [1, 2, 3]}), json!("two")).unwrap(),
        json!({"l": [1, "two", 3]})
    );
    assert_eq!(
        set("$['k k'].v", json!({}), json!(1)).unwrap(),
        json!({"k k": {"v": 1}})
    );
}

#[test]
fn result_path_failures_are_result_path_match_failure() {
    let set = |p: &str, target: Value| JsonPath::parse(p).unwrap().set(target, json!(1));
    for (p, target) in [
        ("$.r", json!("hello")),
        ("$.a.b", json!({"a": 5})),
        ("$.l[5]", json!({"l": [1]})),
        ("$.l[0]", json!({"l": {}})),
        ("$.a[*]", json!({"a": [1]})),
        ("$$.Execution", json!({})),
    ] {
        let e = set(p, target).unwrap_err();
        assert_eq!(e.error, "States.ResultPathMatchFailure", "{p}");
    }
    let e = set("$.r", json!("hello")).unwrap_err();
    assert_eq!(
        e.cause,
        "Unable to apply ReferencePath $.r to input \"hello\""
    );
}
