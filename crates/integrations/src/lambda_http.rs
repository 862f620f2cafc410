//! Lambda functions behind an HTTP endpoint speaking Lambda's Invoke API
//! (`POST /2015-03-31/functions/NAME/invocations`): AWS itself, a Lambda runtime emulator,
//! LocalStack, moto. Signed with SigV4 (service `lambda`) when credentials are configured.

use crate::aws::sigv4::{self, Credentials};
use crate::http_client::{self, percent_encode, HttpError, Url};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What the endpoint answered.
#[derive(Debug, Clone, PartialEq)]
pub enum HttpInvokeEnd {
    /// 200: the function returned this payload (JSON text).
    Returned { payload: String },
    /// 200 with `X-Amz-Function-Error`: the function failed; the payload is the runtime's
    /// `{"errorType", "errorMessage", ...}`.
    FunctionError { payload: String },
    /// The Invoke API refused (404 function not found, 429 throttled...): the task's error
    /// and cause, as Step Functions names them (`Lambda.ResourceNotFoundException`).
    ServiceError { error: String, cause: String },
}

/// Invokes `function` (a name or ARN) synchronously with `payload`.
pub fn invoke(
    endpoint: &str,
    function: &str,
    payload: &str,
    timeout: Duration,
    credentials: Option<&Credentials>,
    region: &str,
) -> HttpInvokeEnd {
    invoke_traced(
        endpoint,
        function,
        payload,
        timeout,
        credentials,
        region,
        None,
    )
}

/// [`invoke`], sending the W3C `traceparent` of the task's span (when traces are on) so the
/// function's spans join the execution's trace.
pub fn invoke_traced(
    endpoint: &str,
    function: &str,
    payload: &str,
    timeout: Duration,
    credentials: Option<&Credentials>,
    region: &str,
    traceparent: Option<&str>,
) -> HttpInvokeEnd {
    let client_error = |e: HttpError| HttpInvokeEnd::ServiceError {
        error: "Lambda.SdkClientException".into(),
        cause: format!("Unable to execute HTTP request: {e}"),
    };
    let url = format!(
        "{}/2015-03-31/functions/{}/invocations",
        endpoint.trim_end_matches('/'),
        percent_encode(function, false)
    );
    let url = match Url::parse(&url) {
        Ok(u) => u,
        Err(e) => return client_error(e),
    };
    let mut headers = vec![
        ("Content-Type".to_string(), "application/json".to_string()),
        (
            "X-Amz-Invocation-Type".to_string(),
            "RequestResponse".to_string(),
        ),
    ];
    if let Some(c) = credentials {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        sigv4::sign(
            c,
            region,
            "lambda",
            "POST",
            &url,
            &mut headers,
            payload.as_bytes(),
            now,
        );
    }
    // Not signed: a tracing proxy on the way may rewrite it.
    if let Some(t) = traceparent {
        headers.push(("traceparent".to_string(), t.to_string()));
    }
    let r = match http_client::send("POST", &url, &headers, payload.as_bytes(), timeout) {
        Ok(r) => r,
        Err(e) => return client_error(e),
    };
    let body = String::from_utf8_lossy(&r.body).into_owned();
    if (200..300).contains(&r.status) {
        return if r.header("X-Amz-Function-Error").is_some() {
            HttpInvokeEnd::FunctionError { payload: body }
        } else {
            HttpInvokeEnd::Returned { payload: body }
        };
    }
    let parsed: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let code = r
        .header("x-amzn-ErrorType")
        .map(|t| t.split(':').next().unwrap_or(t).to_string())
        .or_else(|| {
            parsed
                .get("Type")
                .or_else(|| parsed.get("__type"))
                .and_then(|v| v.as_str())
                .map(|t| t.rsplit('#').next().unwrap_or(t).to_string())
        })
        .unwrap_or_else(|| "ServiceException".into());
    let message = ["Message", "message", "errorMessage"]
        .iter()
        .find_map(|k| parsed.get(*k).and_then(|v| v.as_str()))
        .unwrap_or(&r.reason)
        .to_string();
    let request_id = r.header("x-amzn-RequestId").unwrap_or("").to_string();
    let class = if code.ends_with("Exception") {
        code.clone()
    } else {
        format!("{code}Exception")
    };
    HttpInvokeEnd::ServiceError {
        error: format!("Lambda.{class}"),
        cause: format!(
            "{message} (Service: AWSLambda; Status Code: {}; Error Code: {code}; Request ID: {request_id}; Proxy: null)",
            r.status
        ),
    }
}
