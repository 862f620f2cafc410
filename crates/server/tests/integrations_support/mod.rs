//! Real parts for the integration tests: moto's server from PyPI as the AWS stand-in (installed
//! into a virtualenv under `target/moto-venv` on first use), a local HTTP endpoint playing a
//! third-party API and a Lambda Invoke API, and `stepline.toml` files pointing at them.
#![allow(dead_code)]

use integrations::aws::{self, AwsClient, AwsConfig};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The virtualenv holding moto's server, created when missing; `None` (after saying so loudly)
/// when it cannot be installed (no network).
fn moto_venv() -> Option<&'static Path> {
    static VENV: OnceLock<Option<PathBuf>> = OnceLock::new();
    VENV.get_or_init(|| {
        let dir = std::env::var_os("STEPLINE_MOTO_VENV")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace().join("target/moto-venv"));
        let ready = |d: &Path| {
            Command::new(d.join("bin/python"))
                .args(["-c", "import moto.server, flask"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        if ready(&dir) {
            return Some(dir);
        }
        let made = Command::new("python3").args(["-m", "venv"]).arg(&dir).status();
        let pip = made.ok().filter(|s| s.success()).and_then(|_| {
            Command::new(dir.join("bin/pip"))
                .args([
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    // Without network, give up quickly rather than retry for minutes.
                    "--timeout",
                    "20",
                    "--retries",
                    "1",
                    "moto[server]",
                ])
                .status()
                .ok()
        });
        if pip.is_some_and(|s| s.success()) && ready(&dir) {
            Some(dir)
        } else {
            eprintln!(
                "\n\n*** SKIPPED: moto[server] could not be installed from PyPI into {} (no network?); \
                 the AWS integration tests did not run. Set STEPLINE_MOTO_VENV to a virtualenv with moto[server]. ***\n",
                dir.display()
            );
            None
        }
    })
    .as_deref()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running moto server (shared by the tests of one binary).
pub struct Moto {
    pub endpoint: String,
    _child: Mutex<Child>,
}

/// moto on a free port, or `None` when moto is unavailable (the caller skips).
pub fn moto() -> Option<&'static Moto> {
    static MOTO: OnceLock<Option<Moto>> = OnceLock::new();
    MOTO.get_or_init(|| {
        let venv = moto_venv()?;
        let port = free_port();
        let child = Command::new(venv.join("bin/python"))
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                eprintln!("*** SKIPPED: moto's server did not start ***");
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(Moto {
            endpoint: format!("http://127.0.0.1:{port}"),
            _child: Mutex::new(child),
        })
    })
    .as_ref()
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Ok(mut c) = self._child.lock() {
            let _ = c.kill();
        }
    }
}

/// Calls moto through the integrations crate's own client (test set-up and checks).
pub fn aws_call(moto: &Moto, resource: &str, params: Value) -> Result<Value, aws::CallError> {
    // Signed: a stand-in serving every service on one port routes by the signature's scope.
    static CREDS: OnceLock<PathBuf> = OnceLock::new();
    let creds = CREDS.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("stepline-moto-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        credentials_file(&dir)
    });
    let client = AwsClient::new(&AwsConfig {
        endpoint: Some(moto.endpoint.clone()),
        region: Some("us-east-1".into()),
        profile: Some("moto".into()),
        credentials_file: Some(creds.clone()),
        ..Default::default()
    });
    let call = aws::classify(resource).expect("a known AWS resource");
    client.call(&call, &params)
}

/// One request as the local endpoint saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

/// A local HTTP endpoint: `/echo*` answers what it received as JSON, `/status/NNN` answers
/// that status, `/slow` waits 3 s, and `/2015-03-31/functions/NAME/invocations` is a Lambda
/// Invoke API with the functions `add` (`{"a","b"}` → `{"sum"}`), `boom` (a function error)
/// and no others (404 `ResourceNotFoundException`).
pub struct Endpoint {
    pub url: String,
    pub seen: &'static Mutex<Vec<Seen>>,
}

pub fn endpoint() -> Endpoint {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen: &'static Mutex<Vec<Seen>> = Box::leak(Box::new(Mutex::new(Vec::new())));
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            std::thread::spawn(move || serve_one(s, seen));
        }
    });
    Endpoint {
        url: format!("http://127.0.0.1:{port}"),
        seen,
    }
}

fn serve_one(mut s: TcpStream, seen: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(match s.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    let _ = reader.read_exact(&mut body);
    let body = String::from_utf8_lossy(&body).into_owned();
    let req = Seen {
        method: method.clone(),
        target: target.clone(),
        headers: headers.clone(),
        body: body.clone(),
    };
    if let Ok(mut v) = seen.lock() {
        v.push(req);
    }
    let path = target.split('?').next().unwrap_or("");
    let query = target.split_once('?').map(|(_, q)| q).unwrap_or("");
    let (status, extra, out): (u16, Vec<(&str, String)>, String) = if let Some(f) = path
        .strip_prefix("/2015-03-31/functions/")
        .and_then(|r| r.strip_suffix("/invocations"))
    {
        match f {
            "add" => {
                let v: Value = serde_json::from_str(&body).unwrap_or_default();
                let sum = v["a"].as_i64().unwrap_or(0) + v["b"].as_i64().unwrap_or(0);
                (200, vec![], json!({"sum": sum}).to_string())
            }
            "boom" => (
                200,
                vec![("X-Amz-Function-Error", "Unhandled".into())],
                json!({"errorMessage": "bad input", "errorType": "ValueError", "stackTrace": []})
                    .to_string(),
            ),
            other => (
                404,
                vec![("x-amzn-ErrorType", "ResourceNotFoundException".into())],
                json!({"Type": "User", "Message": format!("Function not found: arn:aws:lambda:us-east-1:123456789012:function:{other}")}).to_string(),
            ),
        }
    } else if let Some(code) = path.strip_prefix("/status/") {
        (
            code.parse().unwrap_or(500),
            vec![],
            json!({"message": "as asked"}).to_string(),
        )
    } else if path == "/slow" {
        std::thread::sleep(Duration::from_secs(3));
        (200, vec![], "{}".into())
    } else {
        (
            200,
            vec![],
            json!({"method": method, "path": path, "query": query, "contentType": headers.get("content-type"), "authorization": headers.get("authorization"), "body": body}).to_string(),
        )
    };
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut resp = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        out.len()
    );
    for (k, v) in extra {
        resp.push_str(&format!("{k}: {v}\r\n"));
    }
    resp.push_str("\r\n");
    resp.push_str(&out);
    let _ = s.write_all(resp.as_bytes());
}

/// A fake shared-credentials file (moto accepts any keys; the requests are really signed).
pub fn credentials_file(dir: &Path) -> PathBuf {
    let p = dir.join("credentials");
    std::fs::write(
        &p,
        "[moto]\naws_access_key_id = AKIDTEST\naws_secret_access_key = secret\n",
    )
    .expect("write credentials");
    p
}

/// The `[aws]` section of a `stepline.toml` that sends every AWS call to `moto`, signed with the
/// fake credentials written into `dir`; `extra` lines go into the same section.
pub fn moto_aws_config(dir: &Path, moto: &Moto, extra: &str) -> String {
    let creds = credentials_file(dir);
    format!(
        "[aws]\nendpoint = \"{}\"\nregion = \"us-east-1\"\nprofile = \"moto\"\ncredentials_file = \"{}\"\n{extra}",
        moto.endpoint,
        creds.display()
    )
}

/// [`moto_aws_config`] written to `dir/stepline.toml`; returns that path.
pub fn write_moto_config(dir: &Path, moto: &Moto) -> PathBuf {
    let cfg = dir.join("stepline.toml");
    std::fs::write(&cfg, moto_aws_config(dir, moto, "")).expect("write stepline.toml");
    cfg
}
