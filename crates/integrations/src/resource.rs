//! Recognising a Task's `Resource` ARN.

use serde_json::Value;

/// What kind of integration a `Resource` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind<'a> {
    /// `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`: the legacy Lambda form, recorded
    /// as `LambdaFunction*` events; its result is the function's return value.
    LambdaFunction { function: &'a str },
    /// `arn:aws:states:::lambda:invoke[.waitForTaskToken]`: the optimized integration, recorded as
    /// `Task*` events; its result is the whole Invoke response.
    LambdaInvoke { wait_for_task_token: bool },
    /// Anything else.
    Other,
}

/// Classifies a resource ARN (any partition).
pub fn classify(resource: &str) -> ResourceKind<'_> {
    let mut parts = resource.splitn(7, ':');
    let (Some("arn"), Some(_partition), Some(service), Some(region), Some(account), Some(rest)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return ResourceKind::Other;
    };
    let tail = parts.next();
    match service {
        "lambda" if rest == "function" => match tail {
            Some(f) if !f.is_empty() => ResourceKind::LambdaFunction { function: f },
            _ => ResourceKind::Other,
        },
        "states" if region.is_empty() && account.is_empty() && rest == "lambda" => match tail {
            Some("invoke") => ResourceKind::LambdaInvoke {
                wait_for_task_token: false,
            },
            Some("invoke.waitForTaskToken") => ResourceKind::LambdaInvoke {
                wait_for_task_token: true,
            },
            _ => ResourceKind::Other,
        },
        _ => ResourceKind::Other,
    }
}

/// The function name in any form Lambda's `FunctionName` accepts: `NAME`, `NAME:QUALIFIER`,
/// `ACCOUNT:function:NAME[:QUALIFIER]` or a full function ARN.
pub fn function_name(function: &str) -> &str {
    let parts: Vec<&str> = function.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "lambda", _, _, "function", name, ..] => name,
        [_, "function", name, ..] => name,
        [name, ..] => name,
        [] => function,
    }
}

/// The function a Task invokes: the ARN's function for the legacy form, `FunctionName` for
/// `lambda:invoke`.
pub fn invoked_function<'a>(resource: &'a str, parameters: &'a Value) -> Option<&'a str> {
    match classify(resource) {
        ResourceKind::LambdaFunction { function } => Some(function),
        ResourceKind::LambdaInvoke { .. } => parameters.get("FunctionName").and_then(Value::as_str),
        ResourceKind::Other => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn classifies_lambda_forms() {
        assert_eq!(
            classify("arn:aws:lambda:us-east-1:111111111111:function:f1"),
            ResourceKind::LambdaFunction { function: "f1" }
        );
        assert_eq!(
            classify("arn:aws-cn:lambda:cn-north-1:111111111111:function:f1:prod"),
            ResourceKind::LambdaFunction {
                function: "f1:prod"
            }
        );
        assert_eq!(
            classify("arn:aws:states:::lambda:invoke"),
            ResourceKind::LambdaInvoke {
                wait_for_task_token: false
            }
        );
        assert_eq!(
            classify("arn:aws:states:::lambda:invoke.waitForTaskToken"),
            ResourceKind::LambdaInvoke {
                wait_for_task_token: true
            }
        );
        assert_eq!(
            classify("arn:aws:states:::sqs:sendMessage"),
            ResourceKind::Other
        );
        assert_eq!(classify("not an arn"), ResourceKind::Other);
        assert_eq!(
            classify("arn:aws:lambda:us-east-1:1:function:"),
            ResourceKind::Other
        );
    }

    #[test]
    fn function_names_in_every_form() {
        assert_eq!(function_name("f1"), "f1");
        assert_eq!(function_name("f1:prod"), "f1");
        assert_eq!(function_name("111111111111:function:f1"), "f1");
        assert_eq!(function_name("111111111111:function:f1:3"), "f1");
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:111111111111:function:f1"),
            "f1"
        );
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:111111111111:function:f1:$LATEST"),
            "f1"
        );
        let p = json!({"FunctionName": "arn:aws:lambda:us-east-1:1:function:g"});
        assert_eq!(
            invoked_function("arn:aws:states:::lambda:invoke", &p),
            Some("arn:aws:lambda:us-east-1:1:function:g")
        );
        assert_eq!(
            invoked_function("arn:aws:states:::sqs:sendMessage", &p),
            None
        );
    }
}
