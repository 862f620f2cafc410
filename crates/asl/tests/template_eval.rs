//! Payload templates (`Parameters`, `ResultSelector`, `ItemSelector`): compile-time checks with
//! AWS's wording and run-time evaluation of paths, context paths, variables and intrinsics.

use std::collections::HashMap;

use asl::template::{path_not_found_cause, PayloadTemplate, Scope, SeededEntropy};
use serde_json::{json, Value};

fn eval(template: Value, input: Value) -> Result<Value, asl::error::StatesError> {
    let entropy = SeededEntropy::new(1);
    let context = json!({
        "Execution": {"Id": "arn:exec", "Input": {"orig": true}},
        "Map": {"Item": {"Index": 3, "Value": {"k": "v"}}}
    });
    let mut vars = HashMap::new();
    vars.insert("counter".to_string(), json!(41));
    vars.insert("cfg".to_string(), json!({"mode": "fast"}));
    let scope = Scope::new(&input, &context, &entropy).with_variables(&vars);
    PayloadTemplate::compile(&template)
        .unwrap_or_else(|e| panic!("{e}"))
        .evaluate(&scope)
}

#[test]
fn static_fields_are_copied_and_dynamic_fields_lose_their_suffix() {
    let out = eval(
        json!({
            "literal": "x",
            "num": 1,
            "nested": {"a": [1, {"b": null}]},
            "fromInput.$": "$.value",
            "whole.$": "$"
        }),
        json!({"value": [1, 2]}),
    )
    .unwrap();
    assert_eq!(
        out,
        json!({
            "literal": "x",
            "num": 1,
            "nested": {"a": [1, {"b": null}]},
            "fromInput": [1, 2],
            "whole": {"value": [1, 2]}
        })
    );
}

#[test]
fn nested_objects_and_objects_inside_arrays_are_templates_too() {
    let out = eval(
        json!({
            "outer": {"inner": {"v.$": "$.a"}},
            "list": [{"w.$": "$.b"}, "plain", [{"x.$": "$.a"}]]
        }),
        json!({"a": 1, "b": "two"}),
    )
    .unwrap();
    assert_eq!(
        out,
        json!({"outer": {"inner": {"v": 1}}, "list": [{"w": "two"}, "plain", [{"x": 1}]]})
    );
}

#[test]
fn context_variables_and_intrinsics() {
    let out = eval(
        json!({
            "exec.$": "$$.Execution.Id",
            "item.$": "$$.Map.Item.Value.k",
            "index.$": "$$.Map.Item.Index",
            "count.$": "$counter",
            "mode.$": "$cfg.mode",
            "msg.$": "States.Format('{} has {} items', $.name, States.ArrayLength($.items))",
            "sum.$": "States.MathAdd($counter, 1)"
        }),
        json!({"name": "cart", "items": [1, 2, 3]}),
    )
    .unwrap();
    assert_eq!(
        out,
        json!({
            "exec": "arn:exec",
            "item": "v",
            "index": 3,
            "count": 41,
            "mode": "fast",
            "msg": "cart has 3 items",
            "sum": 42
        })
    );
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn output_order_is_static_fields_then_dynamic_fields_in_java_hashmap_order() {
    // All orders below are AWS recordings (task parameters and Pass outputs in the corpus).
    let out = eval(
        json!({"FunctionName.$": "$.f", "Payload": {"Input.$": "$"}}),
        json!({"f": "fn"}),
    )
    .unwrap();
    assert_eq!(keys(&out), ["Payload", "FunctionName"]);
    let out = eval(
        json!({"Iterations.$": "$.i", "Values.$": "$.v"}),
        json!({"i": 0, "v": []}),
    )
    .unwrap();
    assert_eq!(keys(&out), ["Values", "Iterations"]);
    let out = eval(
        json!({"TableName.$": "$.a", "Key.$": "$.a", "UpdateExpression.$": "$.a", "ExpressionAttributeValues.$": "$.a", "ReturnValues": "ALL_NEW"}),
        json!({"a": 1}),
    )
    .unwrap();
    assert_eq!(
        keys(&out),
        [
            "ReturnValues",
            "TableName",
            "UpdateExpression",
            "Key",
            "ExpressionAttributeValues"
        ]
    );
    // Thirteen dynamic fields: the map has grown to 32 buckets.
    let names = [
        "context_object",
        "execution",
        "execution_id",
        "execution_input",
        "execution_name",
        "execution_rolearn",
        "execution_starttime",
        "state",
        "state_enteredtime",
        "state_name",
        "statemachine",
        "statemachine_id",
        "statemachine_name",
    ];
    let mut t = serde_json::Map::new();
    for n in names {
        t.insert(format!("{n}.$"), json!("$.a"));
    }
    let out = eval(Value::Object(t), json!({"a": 1})).unwrap();
    assert_eq!(
        keys(&out),
        [
            "execution",
            "execution_rolearn",
            "execution_name",
            "statemachine_id",
            "execution_id",
            "execution_input",
            "execution_starttime",
            "state_name",
            "state_enteredtime",
            "statemachine",
            "state",
            "context_object",
            "statemachine_name",
        ]
    );
    // Static fields keep the template order.
    let out = eval(json!({"z": 1, "a.$": "$.a", "m": 2}), json!({"a": 0})).unwrap();
    assert_eq!(keys(&out), ["z", "m", "a"]);
}

#[test]
fn missing_path_is_states_runtime_with_aws_cause() {
    // AWS-recorded: Pass Parameters {"value.$": "$.no_such_jsonpath"} on {"int-literal": 0}.
    let e = eval(
        json!({"value.$": "$.no_such_jsonpath"}),
        json!({"int-literal": 0}),
    )
    .unwrap_err();
    assert_eq!(e.error, "States.Runtime");
    assert_eq!(
        e.cause,
        "The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{\"int-literal\":0}'"
    );
    assert_eq!(
        e.in_state("pass", 2).cause,
        "An error occurred while executing the state 'pass' (entered at the event id #2). The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{\"int-literal\":0}'"
    );
    // A missing intermediate member and a path inside an intrinsic are reported the same way.
    let e = eval(json!({"deep": {"v.$": "$.a.b.c"}}), json!({})).unwrap_err();
    assert_eq!(e.cause, path_not_found_cause("$.a.b.c", "v.$", &json!({})));
    let e = eval(json!({"f.$": "States.Array($.missing)"}), json!({"x": 1})).unwrap_err();
    assert_eq!(
        e.cause,
        path_not_found_cause("$.missing", "f.$", &json!({"x": 1}))
    );
}

#[test]
fn intrinsic_failures_propagate() {
    let e = eval(
        json!({"f.$": "States.ArrayGetItem($.a, 9)"}),
        json!({"a": [1]}),
    )
    .unwrap_err();
    assert_eq!(e.error, "States.IntrinsicFailure");
}

#[test]
fn indefinite_paths_give_arrays() {
    let out = eval(json!({"v.$": "$.items[*].id"}), json!({})).unwrap();
    assert_eq!(out, json!({"v": []}));
}

#[test]
fn compile_rejects_invalid_dynamic_values_with_aws_message() {
    for (template, field, pointer) in [
        (
            json!({"parsed.$": "States.StringToJson('{\"t\":\"An \\\"x\\\"\"}')"}),
            "parsed.$",
            "",
        ),
        (json!({"a.$": "not a path"}), "a.$", ""),
        (json!({"a.$": 5}), "a.$", ""),
        (json!({"a.$": "$.x["}), "a.$", ""),
        (json!({"a.$": "States.Unknown()"}), "a.$", ""),
        (json!({"n": {"b.$": "nope"}}), "b.$", "/n"),
        (json!({"l": [1, {"c.$": ""}]}), "c.$", "/l/1"),
        (json!({"a/b": {"d.$": "x"}}), "d.$", "/a~1b"),
    ] {
        let e = PayloadTemplate::compile(&template).unwrap_err();
        assert_eq!(
            e.message,
            format!("The value for the field '{field}' must be a valid JSONPath or a valid intrinsic function call"),
            "{template}"
        );
        assert_eq!(e.pointer, pointer, "{template}");
    }
}

#[test]
fn literal_templates_are_recognised() {
    assert!(PayloadTemplate::compile(&json!({"a": [1, {"b": 2}]}))
        .unwrap()
        .is_literal());
    assert!(!PayloadTemplate::compile(&json!({"a": [1, {"b.$": "$"}]}))
        .unwrap()
        .is_literal());
    let out = eval(json!("just a string"), json!({})).unwrap();
    assert_eq!(out, json!("just a string"));
}

#[test]
fn reads_context_is_reported() {
    let t = |v: Value| PayloadTemplate::compile(&v).unwrap().reads_context();
    assert!(t(json!({"a.$": "$$.Execution.Id"})));
    assert!(t(
        json!({"n": [{"a.$": "States.Array(1, States.Format('{}', $$.State.Name))"}]})
    ));
    assert!(!t(
        json!({"a.$": "$.x", "b": "$$ is literal here", "c.$": "States.Array($v)"})
    ));
    let r = |v: Value| asl::choice::ChoiceRule::parse(&v).unwrap().reads_context();
    assert!(r(
        json!({"Not": {"Variable": "$$.Execution.Name", "IsPresent": true}})
    ));
    assert!(r(
        json!({"Variable": "$.a", "StringEqualsPath": "$$.Execution.Name"})
    ));
    assert!(!r(json!({"Variable": "$.a", "StringEquals": "$$"})));
}
