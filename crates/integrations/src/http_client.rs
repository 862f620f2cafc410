//! A small blocking HTTP/1.1 client for the integrations (one request per connection).
//!
//! Integrations run on worker threads (the engine's resolvers are synchronous), so a blocking
//! client keeps them simple and adds no dependency: requests go out with `Connection: close`
//! and the response is read to its end, `Content-Length` and chunked bodies both understood.
//! `https://` needs the `tls` feature (the system's OpenSSL through `native-tls`); without it
//! TLS endpoints are reported as [`HttpError::TlsUnsupported`].

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Largest response body read (Step Functions' payload limit is 256 KiB; anything larger fails
/// the task anyway, this only bounds memory).
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HttpError {
    #[error("invalid URL '{0}'")]
    InvalidUrl(String),
    #[error("TLS is not supported by this build: '{0}' (use http:// or a TLS-terminating proxy)")]
    TlsUnsupported(String),
    #[error("cannot connect to {0}")]
    Connect(String),
    /// The host name does not resolve (the text Java's resolver reports, as AWS records it).
    #[error("{0}: Name or service not known")]
    Resolve(String),
    #[error("the request timed out")]
    Timeout,
    #[error("I/O error: {0}")]
    Io(String),
    #[error("malformed HTTP response: {0}")]
    Protocol(String),
}

/// A parsed `http://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub scheme: String,
    pub host: String,
    pub port: u16,
    /// Path, starting with `/`, without the query.
    pub path: String,
    /// The query string without `?` (may be empty).
    pub query: String,
}

impl Url {
    pub fn parse(text: &str) -> Result<Url, HttpError> {
        let bad = || HttpError::InvalidUrl(text.to_string());
        let (scheme, rest) = text.split_once("://").ok_or_else(bad)?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return Err(bad()),
        };
        let (authority, path_query) = match rest.find(['/', '?', '#']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        // Credentials in the authority are never sent.
        let authority = authority.rsplit('@').next().unwrap_or(authority);
        let (host, port) = if let Some(stripped) = authority.strip_prefix('[') {
            let (h, after) = stripped.split_once(']').ok_or_else(bad)?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().map_err(|_| bad())?,
                None if after.is_empty() => default_port,
                None => return Err(bad()),
            };
            (h.to_string(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), p.parse().map_err(|_| bad())?),
                None => (authority.to_string(), default_port),
            }
        };
        if host.is_empty() {
            return Err(bad());
        }
        let path_query = path_query.split('#').next().unwrap_or("");
        let (path, query) = match path_query.split_once('?') {
            Some((p, q)) => (p, q),
            None => (path_query, ""),
        };
        Ok(Url {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
            path: if path.is_empty() {
                "/".into()
            } else {
                path.into()
            },
            query: query.to_string(),
        })
    }

    /// `host` or `host:port` when the port is not the scheme's default (the `Host` header).
    pub fn authority(&self) -> String {
        let default = if self.scheme == "https" { 443 } else { 80 };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == default {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// The request target: path and query.
    pub fn target(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }
}

/// A response as received.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    /// In the order received, names as sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request. `headers` must not hold `Host`, `Content-Length` or `Connection`.
pub fn send(
    method: &str,
    url: &Url,
    headers: &[(String, String)],
    body: &[u8],
    timeout: Duration,
) -> Result<Response, HttpError> {
    if url.scheme != "http" && !cfg!(feature = "tls") {
        return Err(HttpError::TlsUnsupported(format!(
            "{}://{}{}",
            url.scheme,
            url.authority(),
            url.path
        )));
    }
    let deadline = Instant::now() + timeout;
    let addrs: Vec<_> = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|_| HttpError::Resolve(url.host.clone()))?
        .collect();
    let mut stream = None;
    for a in addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HttpError::Timeout);
        }
        if let Ok(s) = TcpStream::connect_timeout(&a, left) {
            stream = Some(s);
            break;
        }
    }
    let stream = stream.ok_or_else(|| HttpError::Connect(url.authority()))?;
    let _ = stream.set_nodelay(true);
    let left = deadline.saturating_duration_since(Instant::now());
    let _ = stream.set_write_timeout(Some(left.max(Duration::from_millis(1))));
    let _ = stream.set_read_timeout(Some(left.max(Duration::from_millis(1))));
    #[cfg(feature = "tls")]
    if url.scheme == "https" {
        let connector =
            native_tls::TlsConnector::new().map_err(|e| HttpError::Io(format!("TLS: {e}")))?;
        let tls = connector
            .connect(
                &url.host,
                stream
                    .try_clone()
                    .map_err(|e| HttpError::Io(e.to_string()))?,
            )
            .map_err(|e| HttpError::Connect(format!("{} (TLS: {e})", url.authority())))?;
        return exchange(tls, &stream, method, url, headers, body, deadline);
    }
    let control = stream
        .try_clone()
        .map_err(|e| HttpError::Io(e.to_string()))?;
    exchange(stream, &control, method, url, headers, body, deadline)
}

/// Writes the request on `stream` and reads the response; `control` is the socket under it,
/// for its timeouts.
fn exchange<S: Read + Write>(
    mut stream: S,
    control: &TcpStream,
    method: &str,
    url: &Url,
    headers: &[(String, String)],
    body: &[u8],
    deadline: Instant,
) -> Result<Response, HttpError> {
    let mut head = format!(
        "{method} {} HTTP/1.1\r\nHost: {}\r\n",
        url.target(),
        url.authority()
    );
    for (k, v) in headers {
        // Header injection: values never carry line breaks.
        if k.contains(['\r', '\n', ':']) || v.contains(['\r', '\n']) {
            return Err(HttpError::Io(format!("invalid header '{k}'")));
        }
        head.push_str(k);
        head.push_str(": ");
        head.push_str(v);
        head.push_str("\r\n");
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => HttpError::Timeout,
        _ => HttpError::Io(e.to_string()),
    };
    stream.write_all(head.as_bytes()).map_err(io)?;
    stream.write_all(body).map_err(io)?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HttpError::Timeout);
        }
        let _ = control.set_read_timeout(Some(left));
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                raw.extend_from_slice(&buf[..n]);
                if raw.len() > MAX_RESPONSE_BYTES {
                    return Err(HttpError::Protocol("response too large".into()));
                }
                // A server that keeps the connection open despite `Connection: close`: stop
                // once the framed body is complete.
                if complete(&raw) {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        }
    }
    parse_response(&raw, method == "HEAD")
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Whether `raw` holds a whole response framed by `Content-Length` or chunking.
fn complete(raw: &[u8]) -> bool {
    let Some(end) = find(raw, b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    let body = &raw[end + 4..];
    for line in head.lines() {
        if let Some(v) = line.strip_prefix("content-length:") {
            return v.trim().parse::<usize>().is_ok_and(|n| body.len() >= n);
        }
        if line.starts_with("transfer-encoding:") && line.contains("chunked") {
            return body.ends_with(b"0\r\n\r\n");
        }
    }
    false
}

fn parse_response(raw: &[u8], head_only: bool) -> Result<Response, HttpError> {
    let bad = |m: &str| HttpError::Protocol(m.to_string());
    let end = find(raw, b"\r\n\r\n").ok_or_else(|| bad("no header end"))?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| bad("header is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or_else(|| bad("no status line"))?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/") {
        return Err(bad("no HTTP version"));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status code"))?;
    let reason = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let rest = &raw[end + 4..];
    let header = |n: &str| {
        headers
            .iter()
            .find(|(k, _): &&(String, String)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    let body = if head_only || status == 204 || status == 304 {
        Vec::new()
    } else if header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        dechunk(rest).ok_or_else(|| bad("malformed chunked body"))?
    } else if let Some(n) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        if rest.len() < n {
            return Err(bad("body shorter than Content-Length"));
        }
        rest[..n].to_vec()
    } else {
        rest.to_vec()
    };
    Ok(Response {
        status,
        reason,
        headers,
        body,
    })
}

fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = find(rest, b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size_text = size_text.split(';').next()?.trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        if rest.len() < size.checked_add(2)? {
            return None;
        }
        out.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters (SigV4's rule; `/` kept
/// when `keep_slash`).
pub fn percent_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let c = b as char;
        if c.is_ascii_alphanumeric()
            || matches!(c, '-' | '_' | '.' | '~')
            || (keep_slash && c == '/')
        {
            out.push(c);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (and `+` as space when `plus`); invalid escapes are kept as written.
pub fn percent_decode(s: &str, plus: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' if plus => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = Url::parse("http://Example.com:8080/a/b?x=1#f").expect("valid");
        assert_eq!(u.host, "example.com");
        assert_eq!(u.port, 8080);
        assert_eq!(u.path, "/a/b");
        assert_eq!(u.query, "x=1");
        assert_eq!(u.authority(), "example.com:8080");
        let u = Url::parse("https://api.example.com").expect("valid");
        assert_eq!((u.port, u.path.as_str()), (443, "/"));
        assert!(Url::parse("ftp://x").is_err());
        assert!(Url::parse("http://:80/").is_err());
        assert!(Url::parse("http://h:notaport/").is_err());
    }

    #[test]
    fn responses() {
        let r = parse_response(
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-A: b\r\n\r\nabcdef",
            false,
        )
        .expect("parses");
        assert_eq!((r.status, r.body.as_slice()), (200, &b"abc"[..]));
        assert_eq!(r.header("x-a"), Some("b"));
        let r = parse_response(
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            false,
        )
        .expect("parses");
        assert_eq!((r.status, r.reason.as_str()), (404, "Not Found"));
        assert_eq!(r.body, b"abcde");
        assert!(parse_response(b"garbage", false).is_err());
        // A chunk size that would overflow is malformed, not a crash.
        assert!(parse_response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nab\r\n",
            false
        )
        .is_err());
    }

    #[test]
    fn encoding() {
        assert_eq!(percent_encode("a b/c~", false), "a%20b%2Fc~");
        assert_eq!(percent_encode("a b/c", true), "a%20b/c");
        assert_eq!(percent_decode("a%20b+c%zz%", true), "a b c%zz%");
    }
}
