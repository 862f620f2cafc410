//! The HTTP Task, `arn:aws:states:::http:invoke`.
//!
//! Parameters as AWS takes them: `ApiEndpoint`, `Method`, `Headers`, `QueryParameters`,
//! `RequestBody`, `Transform` (`RequestBodyEncoding: URL_ENCODED` with
//! `RequestEncodingOptions.ArrayFormat` `BRACKETS`/`COMMAS`/`INDICES`/`REPEAT`) and
//! `Authentication.ConnectionArn`. The result is AWS's shape: `{"Headers": {name: [values]},
//! "ResponseBody": parsed JSON or text, "StatusCode": n, "StatusText": "..."}`. A status outside
//! 2xx fails the task with `States.Http.StatusCode.NNN` (cause: that result as JSON); no answer
//! at all (refused, unreachable, timed out) with `States.Http.Socket`.
//!
//! What a workflow may reach is this server's decision: `[http] allow` lists URL prefixes
//! (`http://127.0.0.1:*` allows any port); an endpoint outside the list fails with
//! `States.Runtime`, which no Retry or Catch handles. Connections (`[http.connections.NAME]`)
//! add the headers and query parameters an EventBridge connection would.

use crate::config::ConfigError;
use crate::http_client::{self, percent_encode, HttpError, Url};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// `[http]` in `stepline.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// URL prefixes a Task may call; empty: none.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Seconds before a call counts as failed (`States.Http.Socket`); AWS's limit is 60.
    #[serde(default = "default_timeout")]
    pub timeout: u64,
    /// By connection name (the ARN's `connection/NAME/...` part) or whole ARN.
    #[serde(default)]
    pub connections: BTreeMap<String, ConnectionConfig>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            allow: Vec::new(),
            timeout: default_timeout(),
            connections: BTreeMap::new(),
        }
    }
}

fn default_timeout() -> u64 {
    60
}

/// What an EventBridge connection adds to each request.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionConfig {
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// `[user, password]` for Basic authorization.
    pub basic: Option<(String, String)>,
}

impl HttpConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (i, a) in self.allow.iter().enumerate() {
            let probe = a.replace(":*", ":1");
            if Url::parse(&probe).is_err() {
                return Err(ConfigError::Invalid {
                    location: format!("http.allow[{i}]"),
                    message: format!("expected an http:// or https:// URL prefix, got '{a}'"),
                });
            }
        }
        Ok(())
    }

    /// Whether `url` falls under one of the allowed prefixes.
    pub fn allows(&self, url: &Url) -> bool {
        self.allow.iter().any(|a| {
            let any_port = a.contains(":*");
            let Ok(p) = Url::parse(&a.replace(":*", ":1")) else {
                return false;
            };
            let host_ok = match p.host.strip_prefix("*.") {
                Some(suffix) => url.host.ends_with(&format!(".{suffix}")),
                None => p.host == url.host,
            };
            p.scheme == url.scheme
                && host_ok
                && (any_port || p.port == url.port)
                && url.path.starts_with(&p.path)
        })
    }

    fn connection(&self, arn: &str) -> Option<&ConnectionConfig> {
        self.connections.get(arn).or_else(|| {
            // arn:aws:events:REGION:ACCOUNT:connection/NAME/UUID
            let name = arn.split(":connection/").nth(1)?.split('/').next()?;
            self.connections.get(name)
        })
    }
}

/// A failed HTTP Task: error and cause.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpTaskError {
    pub error: String,
    pub cause: String,
}

fn runtime(cause: String) -> HttpTaskError {
    HttpTaskError {
        error: "States.Runtime".into(),
        cause,
    }
}

/// URL-encodes a request body or query object; `format` is `RequestEncodingOptions.ArrayFormat`.
pub fn url_encode(value: &Value, format: &str) -> String {
    let mut pairs = Vec::new();
    if let Value::Object(m) = value {
        for (k, v) in m {
            encode_pair(k, v, format, &mut pairs);
        }
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k, false), percent_encode(v, false)))
        .collect::<Vec<_>>()
        .join("&")
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn encode_pair(key: &str, v: &Value, format: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                encode_pair(&format!("{key}[{k}]"), x, format, out);
            }
        }
        Value::Array(a) => match format {
            "COMMAS" => out.push((
                key.to_string(),
                a.iter().map(scalar).collect::<Vec<_>>().join(","),
            )),
            "REPEAT" => a.iter().for_each(|x| encode_pair(key, x, format, out)),
            "BRACKETS" => a
                .iter()
                .for_each(|x| encode_pair(&format!("{key}[]"), x, format, out)),
            _ => a
                .iter()
                .enumerate()
                .for_each(|(i, x)| encode_pair(&format!("{key}[{i}]"), x, format, out)),
        },
        other => out.push((key.to_string(), scalar(other))),
    }
}

/// Performs an HTTP Task with `parameters` (after the state's data flow).
pub fn invoke(
    config: &HttpConfig,
    region: &str,
    parameters: &Value,
) -> Result<Value, HttpTaskError> {
    invoke_traced(config, region, parameters, None)
}

/// [`invoke`], sending the W3C `traceparent` of the task's span (when traces are on) so the
/// callee's spans join the execution's trace; a `traceparent` the state's `Headers` set wins.
pub fn invoke_traced(
    config: &HttpConfig,
    region: &str,
    parameters: &Value,
    traceparent: Option<&str>,
) -> Result<Value, HttpTaskError> {
    let p = parameters;
    let endpoint = p
        .get("ApiEndpoint")
        .and_then(Value::as_str)
        .ok_or_else(|| runtime("The field 'ApiEndpoint' is required for the HTTP Task.".into()))?;
    let method = p
        .get("Method")
        .and_then(Value::as_str)
        .ok_or_else(|| runtime("The field 'Method' is required for the HTTP Task.".into()))?
        .to_ascii_uppercase();
    if !matches!(
        method.as_str(),
        "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS" | "HEAD"
    ) {
        return Err(runtime(format!(
            "The HTTP method '{method}' is not supported by the HTTP Task."
        )));
    }
    let mut url = Url::parse(endpoint)
        .map_err(|_| runtime(format!("The ApiEndpoint '{endpoint}' is not a valid URL.")))?;
    if !config.allows(&url) {
        return Err(runtime(format!(
            "The ApiEndpoint '{endpoint}' is not allowed on this server: add its URL prefix to [http] allow in stepline.toml."
        )));
    }
    let connection = p
        .get("Authentication")
        .and_then(|a| a.get("ConnectionArn"))
        .and_then(Value::as_str)
        .and_then(|arn| config.connection(arn));
    let mut query = Map::new();
    if let Some(c) = connection {
        for (k, v) in &c.query {
            query.insert(k.clone(), json!(v));
        }
    }
    if let Some(Value::Object(q)) = p.get("QueryParameters") {
        for (k, v) in q {
            query.insert(k.clone(), v.clone());
        }
    }
    let transform = p.get("Transform");
    let array_format = transform
        .and_then(|t| t.get("RequestEncodingOptions"))
        .and_then(|o| o.get("ArrayFormat"))
        .and_then(Value::as_str)
        .unwrap_or("INDICES");
    if !query.is_empty() {
        let extra = url_encode(&Value::Object(query), array_format);
        url.query = if url.query.is_empty() {
            extra
        } else {
            format!("{}&{extra}", url.query)
        };
    }
    let url_encoded = transform
        .and_then(|t| t.get("RequestBodyEncoding"))
        .and_then(Value::as_str)
        == Some("URL_ENCODED");
    let mut headers: Vec<(String, String)> = Vec::new();
    let body = match p.get("RequestBody") {
        None | Some(Value::Null) => Vec::new(),
        Some(b) if url_encoded => {
            headers.push((
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ));
            url_encode(b, array_format).into_bytes()
        }
        Some(Value::String(s)) => s.clone().into_bytes(),
        Some(b) => {
            headers.push((
                "Content-Type".into(),
                "application/json; charset=UTF-8".into(),
            ));
            b.to_string().into_bytes()
        }
    };
    let set = |headers: &mut Vec<(String, String)>, k: &str, v: String| {
        headers.retain(|(h, _)| !h.eq_ignore_ascii_case(k));
        headers.push((k.to_string(), v));
    };
    if let Some(Value::Object(h)) = p.get("Headers") {
        for (k, v) in h {
            let lk = k.to_ascii_lowercase();
            // Headers AWS sets itself or forbids.
            if matches!(
                lk.as_str(),
                "host" | "content-length" | "connection" | "transfer-encoding" | "upgrade"
            ) || lk.starts_with("x-amz-")
                || lk.starts_with("x-amzn-")
            {
                continue;
            }
            set(&mut headers, k, scalar(v));
        }
    }
    if let Some(c) = connection {
        for (k, v) in &c.headers {
            set(&mut headers, k, v.clone());
        }
        if let Some((user, password)) = &c.basic {
            set(
                &mut headers,
                "Authorization",
                format!("Basic {}", base64(format!("{user}:{password}").as_bytes())),
            );
        }
    }
    set(
        &mut headers,
        "User-Agent",
        format!("Amazon|StepFunctions|HttpInvoke|{region}"),
    );
    if let Some(t) = traceparent {
        if !headers
            .iter()
            .any(|(h, _)| h.eq_ignore_ascii_case("traceparent"))
        {
            headers.push(("traceparent".into(), t.to_string()));
        }
    }
    let response = http_client::send(
        &method,
        &url,
        &headers,
        &body,
        Duration::from_secs(config.timeout.max(1)),
    )
    .map_err(|e| HttpTaskError {
        error: "States.Http.Socket".into(),
        cause: match e {
            HttpError::Timeout => format!("Call to {endpoint} timed out"),
            other => format!("Call to {endpoint} failed: {other}"),
        },
    })?;
    let mut response_headers = Map::new();
    for (k, v) in &response.headers {
        if let Value::Array(a) = response_headers
            .entry(k.to_ascii_lowercase())
            .or_insert_with(|| json!([]))
        {
            a.push(json!(v));
        }
    }
    let text = String::from_utf8_lossy(&response.body).into_owned();
    let is_json = response
        .header("content-type")
        .is_some_and(|c| c.to_ascii_lowercase().contains("json"));
    let body = if is_json {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    } else {
        Value::String(text)
    };
    let result = json!({
        "Headers": response_headers,
        "ResponseBody": body,
        "StatusCode": response.status,
        "StatusText": response.reason,
    });
    if !(200..300).contains(&response.status) {
        return Err(HttpTaskError {
            error: format!("States.Http.StatusCode.{}", response.status),
            cause: result.to_string(),
        });
    }
    Ok(result)
}

fn base64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_formats() {
        let v = json!({"a": [1, 2], "o": {"k": "v w"}});
        assert_eq!(
            url_encode(&v, "INDICES"),
            "a%5B0%5D=1&a%5B1%5D=2&o%5Bk%5D=v%20w"
        );
        assert_eq!(
            url_encode(&v, "BRACKETS"),
            "a%5B%5D=1&a%5B%5D=2&o%5Bk%5D=v%20w"
        );
        assert_eq!(url_encode(&v, "REPEAT"), "a=1&a=2&o%5Bk%5D=v%20w");
        assert_eq!(url_encode(&v, "COMMAS"), "a=1%2C2&o%5Bk%5D=v%20w");
    }

    #[test]
    fn allow_list() {
        let c = HttpConfig {
            allow: vec![
                "http://127.0.0.1:*".into(),
                "https://api.example.com/v1/".into(),
                "https://*.corp.example".into(),
            ],
            ..Default::default()
        };
        let ok = |u: &str| c.allows(&Url::parse(u).expect("url"));
        assert!(ok("http://127.0.0.1:4000/x"));
        assert!(ok("https://api.example.com/v1/items?x=1"));
        assert!(ok("https://svc.corp.example/a"));
        assert!(!ok("https://api.example.com/v2/items"));
        assert!(!ok("http://api.example.com/v1/"));
        assert!(!ok("http://169.254.169.254/latest/meta-data"));
        assert!(!ok("https://corp.example.evil.com/"));
        assert!(!HttpConfig::default().allows(&Url::parse("http://127.0.0.1/").expect("url")));
    }

    #[test]
    fn basic_auth_encoding() {
        assert_eq!(base64(b"user:pass"), "dXNlcjpwYXNz");
    }
}
