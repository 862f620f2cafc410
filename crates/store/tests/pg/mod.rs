//! PostgreSQL for tests, on any machine:
//!
//! 1. `STEPLINE_TEST_POSTGRES=<url>`: that server (a URL whose user may create databases);
//!    `STEPLINE_TEST_POSTGRES=private` forces step 3.
//! 2. The server at `127.0.0.1:5432` (trust auth, user `postgres`), when one answers.
//! 3. A private server from Debian's `postgresql` package (`/usr/lib/postgresql/*/bin`, or
//!    `initdb` on the `PATH`) in a temporary directory on a free port, run as `postgres` (or
//!    `nobody`) when the tests run as root, since PostgreSQL refuses to run as root. A
//!    watchdog stops it and removes its directory when the test process exits.
//!
//! With none of them the tests print a loud message and skip, unless
//! `STEPLINE_REQUIRE_POSTGRES=1`, where they fail.
//!
//! Each test gets its own database (`TestDb`), dropped at the end.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

/// A PostgreSQL server the tests may create databases on.
pub struct Server {
    /// `host=... port=... user=...`, without a database name.
    base: String,
    pub origin: String,
}

static SERVER: OnceLock<Option<Server>> = OnceLock::new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

fn block_on<T>(f: impl std::future::Future<Output = T>) -> Option<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()
        .map(|rt| rt.block_on(f))
}

/// Runs `sql` (simple queries) on database `db` of the server at `base`.
fn admin(base: &str, db: &str, sql: &str) -> Result<(), String> {
    let url = format!("{base} dbname={db} connect_timeout=5");
    block_on(async move {
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .map_err(|e| e.to_string())?;
        let task = tokio::spawn(conn);
        let r = client
            .batch_execute(sql)
            .await
            .map_err(|e| match e.as_db_error() {
                Some(d) => d.message().to_string(),
                None => e.to_string(),
            });
        drop(client);
        let _ = task.await;
        r
    })
    .unwrap_or_else(|| Err("no tokio runtime".into()))
}

fn from_url(url: &str) -> Option<String> {
    let cfg: tokio_postgres::Config = url.parse().ok()?;
    let mut base = String::new();
    for h in cfg.get_hosts() {
        match h {
            tokio_postgres::config::Host::Tcp(h) => base.push_str(&format!("host={h} ")),
            tokio_postgres::config::Host::Unix(p) => {
                base.push_str(&format!("host={} ", p.display()))
            }
        }
    }
    if let Some(p) = cfg.get_ports().first() {
        base.push_str(&format!("port={p} "));
    }
    base.push_str(&format!("user={}", cfg.get_user().unwrap_or("postgres")));
    if let Some(pw) = cfg.get_password() {
        base.push_str(&format!(" password={}", String::from_utf8_lossy(pw)));
    }
    Some(base)
}

pub fn server() -> Option<&'static Server> {
    SERVER.get_or_init(find_server).as_ref()
}

fn find_server() -> Option<Server> {
    let wanted = std::env::var("STEPLINE_TEST_POSTGRES").unwrap_or_default();
    if !wanted.is_empty() && wanted != "private" {
        let base = from_url(&wanted)?;
        return match admin(&base, "postgres", "SELECT 1") {
            Ok(()) => Some(Server {
                base,
                origin: format!("STEPLINE_TEST_POSTGRES={wanted}"),
            }),
            Err(e) => {
                loud(&format!(
                    "STEPLINE_TEST_POSTGRES={wanted} does not answer: {e}"
                ));
                None
            }
        };
    }
    if wanted.is_empty() {
        let local = "host=127.0.0.1 port=5432 user=postgres".to_string();
        let answers = std::net::TcpStream::connect_timeout(
            &std::net::SocketAddr::from(([127, 0, 0, 1], 5432)),
            Duration::from_secs(1),
        )
        .is_ok();
        if answers {
            match admin(&local, "postgres", "SELECT 1") {
                Ok(()) => {
                    return Some(Server {
                        base: local,
                        origin: "the server at 127.0.0.1:5432".into(),
                    })
                }
                Err(e) => eprintln!("127.0.0.1:5432 answers but refuses user postgres: {e}"),
            }
        }
    }
    match start_private() {
        Ok(s) => Some(s),
        Err(e) => {
            loud(&format!(
                "no PostgreSQL: nothing usable at 127.0.0.1:5432 and no private server ({e}); install Debian's `postgresql` package or set STEPLINE_TEST_POSTGRES"
            ));
            None
        }
    }
}

/// Written to the stderr file itself: libtest captures `eprintln!` of passing tests, and a
/// skip must be seen.
fn loud(msg: &str) {
    use std::io::Write;
    let bar = "!".repeat(80);
    let _ = writeln!(
        std::io::stderr(),
        "\n{bar}\n!!! SKIPPING POSTGRESQL TESTS: {msg}\n{bar}\n"
    );
}

/// The newest `bin` folder of Debian's PostgreSQL packages, else the one with `initdb` on
/// the `PATH`.
fn postgres_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p).find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
    })
}

fn output(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{cmd:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A command run as `user` (when the tests run as root) or as ourselves.
fn as_user(user: Option<&str>, program: &Path) -> Command {
    match user {
        Some(u) => {
            let mut c = Command::new("runuser");
            c.arg("-u").arg(u).arg("--").arg(program);
            c
        }
        None => Command::new(program),
    }
}

fn start_private() -> Result<Server, String> {
    let bin = postgres_bin().ok_or("no initdb found")?;
    let root = output(Command::new("id").arg("-u"))?.trim() == "0";
    let user = if !root {
        None
    } else if output(Command::new("id").arg("-u").arg("postgres")).is_ok() {
        Some("postgres")
    } else {
        Some("nobody")
    };
    let dir = std::env::temp_dir().join(format!("stepline-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    if let Some(u) = user {
        output(Command::new("chown").arg(u).arg(&dir))?;
    }
    let data = dir.join("data");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    output(
        as_user(user, &bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]),
    )?;
    // The watchdog first, so the server cannot outlive the tests even if starting it
    // half-fails.
    let stop = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {runas}'{pg_ctl}' -D '{data}' -m immediate stop; rm -rf '{dir}'",
        pid = std::process::id(),
        runas = user.map(|u| format!("runuser -u {u} -- ")).unwrap_or_default(),
        pg_ctl = bin.join("pg_ctl").display(),
        data = data.display(),
        dir = dir.display(),
    );
    Command::new("sh")
        .arg("-c")
        .arg(stop)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let opts = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
        dir.display()
    );
    output(
        as_user(user, &bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.join("log"))
            .args(["-w", "-t", "60", "-o", &opts, "start"])
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )?;
    let base = format!("host=127.0.0.1 port={port} user=postgres");
    admin(&base, "postgres", "SELECT 1")?;
    let origin = format!(
        "a private server from {} on port {port} in {}",
        bin.display(),
        dir.display()
    );
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "PostgreSQL tests use {origin}");
    Ok(Server { base, origin })
}

/// A fresh database, dropped (with any connection still open to it) at the end.
pub struct TestDb {
    pub url: String,
    pub name: String,
    server: &'static Server,
}

impl TestDb {
    /// `None` (after a loud message) when no PostgreSQL can be had.
    pub fn create(label: &str) -> Option<TestDb> {
        let Some(server) = server() else {
            if std::env::var("STEPLINE_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("STEPLINE_REQUIRE_POSTGRES=1 and no PostgreSQL server");
            }
            eprintln!("skipping {label}: no PostgreSQL");
            return None;
        };
        let label: String = label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(30)
            .collect();
        let name = format!(
            "stepline_t_{label}_{}_{}",
            std::process::id(),
            NEXT_DB.fetch_add(1, Ordering::Relaxed)
        );
        if let Err(e) = admin(&server.base, "postgres", &format!("CREATE DATABASE {name}")) {
            panic!("CREATE DATABASE {name} on {}: {e}", server.origin);
        }
        Some(TestDb {
            url: format!("{} dbname={name}", server.base),
            name,
            server,
        })
    }

    /// Runs SQL on this database (to inspect or tamper with it).
    pub fn sql(&self, sql: &str) -> Result<(), String> {
        admin(&self.server.base, &self.name, sql)
    }

    /// Runs SQL on the server's `postgres` database.
    pub fn admin(&self, sql: &str) -> Result<(), String> {
        admin(&self.server.base, "postgres", sql)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(e) = admin(&self.server.base, "postgres", &sql) {
            eprintln!("{sql}: {e}");
        }
    }
}
