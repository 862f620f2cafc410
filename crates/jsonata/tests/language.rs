//! Hand-written tests of the JSONata language, independent of the official suite.

mod common;
use common::*;
use serde_json::json;

#[test]
fn paths_and_sequences() {
    is("name", json!("Shop"));
    is("orders.id", json!(["o1", "o2", "o3"]));
    is("orders.items.sku", json!(["A", "B", "C", "A"]));
    is("nested.a.b.c", json!(42));
    undef("missing");
    undef("nested.x.y");
    // a singleton sequence is a value, `[]` keeps it an array
    is("orders[customer='bob'].id", json!("o2"));
    is("orders[customer='bob'].id[]", json!(["o2"]));
    // arrays inside a path are flattened
    is("orders.items.tags", json!(["x", "y", "y", "z"]));
    is("`name`", json!("Shop"));
    is("$.name", json!("Shop"));
}

#[test]
fn predicates_and_indexes() {
    is("orders[0].id", json!("o1"));
    is("orders[-1].id", json!("o3"));
    is("orders[customer='ann'].id", json!(["o1", "o3"]));
    // index applies per parent inside a path, to the whole sequence in parentheses
    is("orders.items[0].sku", json!(["A", "C", "A"]));
    is("(orders.items)[0].sku", json!("A"));
    is("nums[[0, 2]]", json!([3, 2]));
    is("orders[$max(items.price) > 5].id", json!(["o1", "o3"]));
    code("orders[items.price > 5]", "T2010");
    undef("orders[5]");
}

#[test]
fn wildcards_descendants() {
    is("nested.*.b.c", json!(42));
    is("**.c", json!(42));
    is("$count(orders.*)", json!(10));
    is("$count(orders.items.*)", json!(16));
}

#[test]
fn context_root_parent_focus_index() {
    is(
        "orders.items.($$.name & ':' & sku)",
        json!(["Shop:A", "Shop:B", "Shop:C", "Shop:A"]),
    );
    is(
        "orders.items.{'sku': sku, 'order': %.id}",
        json!([
            {"sku": "A", "order": "o1"}, {"sku": "B", "order": "o1"},
            {"sku": "C", "order": "o2"}, {"sku": "A", "order": "o3"}
        ]),
    );
    is(
        "orders.items.%.%.name",
        json!(["Shop", "Shop", "Shop", "Shop"]),
    );
    is(
        "orders@$o.nums@$n[$n = 1].{'o': $o.id, 'n': $n}",
        json!([{"o": "o1", "n": 1}, {"o": "o2", "n": 1}, {"o": "o3", "n": 1}]),
    );
    is("orders#$i[$i > 0].id", json!(["o2", "o3"]));
    is(
        "orders#$i.{'i': $i, 'id': id}",
        json!([{"i": 0, "id": "o1"}, {"i": 1, "id": "o2"}, {"i": 2, "id": "o3"}]),
    );
    code("%.name", "S0217");
}

#[test]
fn order_by_and_grouping() {
    is(
        "orders.items^(>price, sku).sku",
        json!(["A", "A", "B", "C"]),
    );
    is("nums^($)", json!([1, 2, 3]));
    is("orders^(>id).id", json!(["o3", "o2", "o1"]));
    is(
        "orders{customer: $count(items)}",
        json!({"ann": 3, "bob": 1}),
    );
    is(
        "orders.items{sku: $sum(qty)}",
        json!({"A": 3, "B": 1, "C": 4}),
    );
    code("orders{id: 1, id: 2}", "D1009");
    code("orders{1: id}", "T1003");
    code("orders^(items)", "T2008");
}

#[test]
fn constructors() {
    is(
        "{'n': name, 'c': $count(orders)}",
        json!({"n": "Shop", "c": 3}),
    );
    is(
        "orders.{'id': id, 'n': $count(items)}",
        json!([{"id": "o1", "n": 2}, {"id": "o2", "n": 1}, {"id": "o3", "n": 1}]),
    );
    is("[1, [2, 3], nums]", json!([1, [2, 3], 3, 1, 2]));
    is("[1..5]", json!([1, 2, 3, 4, 5]));
    is("[5..1]", json!([]));
    is("[1..3, 7]", json!([1, 2, 3, 7]));
    is("{}", json!({}));
    is("[]", json!([]));
    code("[1..1e8]", "D2014");
    code("[1.5..3]", "T2003");
}

#[test]
fn operators() {
    is("1 + 2 * 3", json!(7));
    is("(1 + 2) * 3", json!(9));
    is("7 % 3", json!(1));
    is("10 / 4", json!(2.5));
    is("-nums[0]", json!(-3));
    is("0.1 + 0.2", json!(0.30000000000000004));
    is("'a' & 1 & true & null", json!("a1truenull"));
    is("1 < 2 and 'a' < 'b'", json!(true));
    is("1 = 1.0", json!(true));
    is("'1' = 1", json!(false));
    is("[1, 2] = [1, 2]", json!(true));
    is("{'a': 1} != {'a': 1}", json!(false));
    is("3 in nums", json!(true));
    is("'x' in orders.items.tags", json!(true));
    is("true and false", json!(false));
    is("false or 1", json!(true));
    is("nil or 0", json!(false));
    undef("missing + 1");
    is("missing = 1", json!(false));
    code("1 + 'a'", "T2002");
    code("'a' * 2", "T2001");
    code("1 < 'a'", "T2009");
    code("{} < 1", "T2010");
    code("-'a'", "D1002");
    let e = err("1 + 'a'");
    assert_eq!(e.position, Some(3));
    assert_eq!(e.token.as_deref(), Some("+"));
    assert_eq!(
        e.message,
        "The right side of the \"+\" operator must evaluate to a number"
    );
}

#[test]
fn conditionals_and_defaults() {
    is("flag ? 'yes' : 'no'", json!("yes"));
    undef("nil ? 1");
    is("missing ?: 'd'", json!("d"));
    is("0 ?: 'd'", json!("d"));
    is("'v' ?: 'd'", json!("v"));
    is("missing ?? 'd'", json!("d"));
    is("0 ?? 'd'", json!(0));
    is("nil ?? 'd'", json!(null));
}

#[test]
fn variables_blocks_lambdas() {
    is("($x := 3; $y := $x * 2; $x + $y)", json!(9));
    is("($x := 1; ($x := 2); $x)", json!(1));
    is("($f := function($a, $b){ $a + $b }; $f(2, 3))", json!(5));
    is("(λ($x){ $x * 2 })(21)", json!(42));
    is(
        "($mk := function($n){ function($x){ $x + $n } }; $add2 := $mk(2); $add2(5))",
        json!(7),
    );
    is("($f := $substring(?, 0, 3); $f('abcdef'))", json!("abc"));
    is(
        "($add := function($a, $b){ $a + $b }; $inc := $add(1, ?); $inc(41))",
        json!(42),
    );
    is("'hello' ~> $uppercase()", json!("HELLO"));
    is("'  a  b ' ~> $trim ~> $uppercase", json!("A B"));
    is("($f := $trim ~> $uppercase; $f('  x '))", json!("X"));
    is(
        "($fact := function($n){ $n <= 1 ? 1 : $n * $fact($n - 1) }; $fact(10))",
        json!(3628800),
    );
    code("($f := function(){ 1 }; f())", "T1005");
    code("$nothing()", "T1006");
    code("5 ~> 6", "T2006");
    code("($x := 1; x(?))", "T1007");
}

#[test]
fn tail_calls_are_optimised() {
    is(
        "($loop := function($n, $acc){ $n = 0 ? $acc : $loop($n - 1, $acc + 1) }; $loop(50000, 0))",
        json!(50000),
    );
    // mutual recursion in tail position too
    is(
        "($even := function($n){ $n = 0 ? true : $odd($n - 1) }; $odd := function($n){ $n = 0 ? false : $even($n - 1) }; $even(20001))",
        json!(false),
    );
}

#[test]
fn signatures() {
    is("function($x)<n:n>{ $x * 2 }(4)", json!(8));
    code("function($x)<n:n>{ $x * 2 }('a')", "T0410");
    is("orders.customer.$uppercase()", json!(["ANN", "BOB", "ANN"]));
    code("{'a': 1}.$uppercase()", "T0411");
    code("$sum(['a'])", "T0412");
    code("$substring()", "T0410");
    code("$min(1, 2)", "T0410");
    code("function($x)<n<n>>{ 1 }", "S0401");
}

#[test]
fn regular_expressions() {
    is("$match('ab12cd34', /\\d+/).match", json!(["12", "34"]));
    is("/b+/('abbbc').match", json!("bbb"));
    is("$contains('Hello', /L+/i)", json!(true));
    is("$replace('a-b-c', /-/, '+')", json!("a+b+c"));
    is(
        "$replace('John Smith', /(\\w+)\\s(\\w+)/, '$2, $1')",
        json!("Smith, John"),
    );
    is(
        "$replace('abc', /b/, function($m){ $uppercase($m.match) })",
        json!("aBc"),
    );
    is("$split('a1b22c', /\\d+/)", json!(["a", "b", "c"]));
    is("orders[id ~> /o[12]/].id", json!(["o1", "o2"]));
    code("$match('aaa', /x*/)", "D1004");
    code("/(/", "S0302");
}

#[test]
fn transforms() {
    is(
        "{'a': 1, 'b': {'c': 2}} ~> |b|{'d': 3}|",
        json!({"a": 1, "b": {"c": 2, "d": 3}}),
    );
    is(
        "{'a': 1, 'b': {'c': 2}} ~> |$|{}, ['a']|",
        json!({"b": {"c": 2}}),
    );
    is(
        "(orders ~> |items|{'total': price * qty}|).items.total",
        json!([20, 5.5, 12, 10]),
    );
    // the input itself is not modified
    is(
        "($t := orders ~> |items|{'sku': 'Z'}|; orders.items.sku)",
        json!(["A", "B", "C", "A"]),
    );
    code("{'a': 1} ~> |$|5|", "T2011");
    code("{'a': 1} ~> |$|{}, 5|", "T2012");
}

#[test]
fn lexical_details() {
    is("/* comment */ 1 + /* another */ 2", json!(3));
    is("\"a\\nb\"", json!("a\nb"));
    is("'\\u00e9'", json!("é"));
    is("1e3", json!(1000));
    is("1.5E-1", json!(0.15));
    code("\"abc", "S0101");
    code("1 +", "S0207");
    code("(1", "S0203");
    code("1 2", "S0201");
    code("`abc", "S0105");
    code("/* open", "S0106");
    code("'\\q'", "S0103");
    code("$x := ", "S0207");
    code("1 := 2", "S0212");
    code("orders.1", "S0213");
    code("+1", "S0211");
    code("a ! b", "S0204");
}

#[test]
fn undefined_input() {
    assert_eq!(ev_none("1 + 1"), Some(json!(2)));
    assert_eq!(ev_none("foo.bar"), None);
    assert_eq!(ev_none("$"), None);
}

#[test]
fn array_input_is_one_item() {
    let input = json!([{"a": 1}, {"a": 2}]);
    assert_eq!(ev_on("a", &input), Some(json!([1, 2])));
    assert_eq!(ev_on("$[0].a", &input), Some(json!(1)));
    assert_eq!(ev_on("$count($)", &input), Some(json!(2)));
    assert_eq!(
        ev_on("$string()", &json!([4, true])),
        Some(json!("[4,true]"))
    );
}
