//! Runs the console's browser tests (tests/browser/console.test.mjs) in real headless Chromium
//! against `stepline serve --in-memory` on a free port.
//!
//! Setup done here: Debian's `chromium` is installed with apt-get when missing, and
//! playwright-core is installed with npm into `target/console-browser/`. The test skips, with
//! a loud message, when the `stepline` binary is not built, when its `serve` does not work or
//! does not serve the console yet, or when Chromium/Node cannot be set up. Screenshots go to
//! `target/console-screenshots/` (not committed). Set STEPLINE_SKIP_BROWSER=1 to skip.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn skip(why: &str) {
    println!("\n==================== SKIPPED: console browser tests ====================");
    println!("{why}");
    println!("=========================================================================\n");
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

fn ok(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn ensure_chromium() -> Result<PathBuf, String> {
    let path =
        PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    if path.exists() {
        return Ok(path);
    }
    if !ok(Command::new("apt-get").arg("--version")) {
        return Err("Chromium is not installed and apt-get is not available: install Debian's `chromium` (or set CHROMIUM=/path/to/chromium).".into());
    }
    println!("installing chromium with apt-get (apt-get update && apt-get install -y chromium)…");
    if !ok(Command::new("apt-get").arg("update"))
        || !ok(Command::new("apt-get").args(["install", "-y", "chromium"]))
    {
        return Err("`apt-get install -y chromium` failed (not root? no network?): install Debian's `chromium` by hand.".into());
    }
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "apt-get installed chromium but {} is missing",
            path.display()
        ))
    }
}

fn ensure_playwright() -> Result<PathBuf, String> {
    let dir = target_dir().join("console-browser");
    let pkg = dir.join("node_modules/playwright-core");
    if pkg.join("package.json").exists() {
        return Ok(pkg);
    }
    if !ok(Command::new("node").arg("--version")) || !ok(Command::new("npm").arg("--version")) {
        return Err(
            "Node.js and npm are needed to drive Chromium (playwright-core): install them.".into(),
        );
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    println!(
        "installing playwright-core with npm into {}…",
        dir.display()
    );
    let installed = ok(Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "playwright-core",
        ])
        .current_dir(&dir));
    if installed && pkg.join("package.json").exists() {
        Ok(pkg)
    } else {
        Err("`npm install playwright-core` failed (no access to the npm registry?)".into())
    }
}

/// Starts `stepline serve --in-memory --port 0` and returns it with its base URL, or why not.
fn start_server(bin: &Path) -> Result<(Server, String), String> {
    let mut child = Command::new(bin)
        .args(["serve", "--in-memory", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    let (tx, rx) = mpsc::channel::<String>();
    for stream in [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
    }
    let server = Server(child);
    let mut seen = Vec::new();
    loop {
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => {
                if let Some(i) = line.find("http://") {
                    let url = line[i..]
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .trim_end_matches('/')
                        .to_string();
                    return Ok((server, url));
                }
                seen.push(line);
            }
            Err(_) => {
                return Err(format!(
                    "`stepline serve` is not implemented yet or did not start: {}",
                    seen.join(" / ")
                ))
            }
        }
    }
}

/// The most recently built of `paths` (a stale release build must not shadow a fresh debug one).
fn newest(paths: &[PathBuf]) -> Option<PathBuf> {
    paths
        .iter()
        .filter_map(|p| Some((std::fs::metadata(p).ok()?.modified().ok()?, p.clone())))
        .max_by_key(|(t, _)| *t)
        .map(|(_, p)| p)
}

fn http_get(base: &str, path: &str) -> Option<String> {
    let host = base.strip_prefix("http://")?;
    let mut s = TcpStream::connect(host).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

#[test]
fn console_in_headless_chromium() {
    if std::env::var_os("STEPLINE_SKIP_BROWSER").is_some() {
        skip("STEPLINE_SKIP_BROWSER is set");
        return;
    }
    // An optimized server when one is built: the timing budgets are about the console, and a
    // debug build spends most of them serializing history JSON.
    let bin = std::env::var_os("STEPLINE_BIN")
        .map(PathBuf::from)
        .or_else(|| {
            newest(&[
                target_dir().join("release/stepline"),
                target_dir().join("debug/stepline"),
            ])
        })
        .unwrap_or_else(|| target_dir().join("debug/stepline"));
    let strict = !bin.to_string_lossy().contains("/debug/");
    println!(
        "server: {} (timing budgets {})",
        bin.display(),
        if strict {
            "enforced"
        } else {
            "reported only: debug build"
        }
    );
    if !bin.exists() {
        skip(&format!(
            "{} is not built: run `cargo build -p stepline` first (or set STEPLINE_BIN).",
            bin.display()
        ));
        return;
    }
    let (server, base) = match start_server(&bin) {
        Ok(s) => s,
        Err(why) => return skip(&why),
    };
    let index = http_get(&base, "/").unwrap_or_default();
    if !index.contains("/console/app.js") {
        skip("`stepline serve` answers but does not serve the console at GET / yet: the server must wrap its API router with `console::mount(api_router)`.");
        return;
    }
    let chromium = match ensure_chromium() {
        Ok(p) => p,
        Err(why) => return skip(&why),
    };
    let playwright = match ensure_playwright() {
        Ok(p) => p,
        Err(why) => return skip(&why),
    };
    let shots = target_dir().join("console-screenshots");
    let driver = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser/console.test.mjs");
    let out = Command::new("node")
        .arg(&driver)
        .arg(&base)
        .arg(&shots)
        .env("PLAYWRIGHT_CORE", &playwright)
        .env("CHROMIUM", &chromium)
        .env("STEPLINE_STRICT_TIMINGS", if strict { "1" } else { "0" })
        .output()
        .expect("node runs");
    println!("{}", String::from_utf8_lossy(&out.stdout));
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    println!("screenshots in {}", shots.display());
    drop(server);
    assert!(out.status.success(), "browser checks failed (see above)");
}
