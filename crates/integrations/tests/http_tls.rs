//! `https://` through the `tls` feature, against `openssl s_server` with a self-signed
//! certificate trusted through `SSL_CERT_FILE` (run with `--features tls`; skipped without the
//! `openssl` command).
#![cfg(feature = "tls")]

use integrations::http_client::{send, Url};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn https_request_through_tls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .args(["-addext", "subjectAltName=DNS:localhost"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("*** SKIPPED: no openssl command to make a certificate ***");
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let mut server = Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept", &port.to_string()])
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_server");
    std::env::set_var("SSL_CERT_FILE", &cert);
    let url = Url::parse(&format!("https://localhost:{port}/")).expect("url");
    let deadline = Instant::now() + Duration::from_secs(10);
    let r = loop {
        match send("GET", &url, &[], b"", Duration::from_secs(5)) {
            Ok(r) => break r,
            Err(e) if Instant::now() > deadline => panic!("no TLS answer: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(r.status, 200);
    assert!(
        String::from_utf8_lossy(&r.body).contains("Ciphers"),
        "s_server's -www page"
    );
}
