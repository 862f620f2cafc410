//! The `serve` command line (`stepline serve`, and the `stepline-server` binary the tests run).
//!
//! Prints `stepline: listening on http://HOST:PORT` (then where data lives) on stdout once it
//! accepts connections; tools wait for that line. Stops gracefully on SIGTERM or Ctrl-C:
//! requests in flight finish, queued writes are committed, and open executions resume at the
//! next start.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(clap::Args)]
pub struct Args {
    /// TCP port (0 picks a free one).
    #[arg(long, default_value_t = 8083)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Directory of the SQLite database (created when missing).
    #[arg(long, default_value = "stepline-data")]
    data_dir: PathBuf,
    /// Keep everything in memory (nothing survives a restart).
    #[arg(long)]
    in_memory: bool,
    /// Region of the ARNs when a request carries no SigV4 credential scope.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Account id of the ARNs.
    #[arg(long, default_value = "123456789012")]
    account: String,
    /// Commit durability. `normal` (SQLite WAL with `synchronous=NORMAL`): a commit is in the
    /// WAL file before it is acknowledged, so every acknowledged step survives a crash or
    /// `kill -9` of the process; a power loss or OS crash may lose the last commits (never
    /// corrupts). `full` also fsyncs every group commit, surviving power loss, at a cost.
    #[arg(long, default_value = "normal", value_parser = ["full", "normal"])]
    sync: String,
    /// Worker threads (default: the number of cores).
    #[arg(long)]
    threads: Option<usize>,
}

pub fn main(args: Args) -> ExitCode {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if let Some(n) = args.threads {
        builder.worker_threads(n.max(1));
    }
    let rt = match builder.build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("stepline serve: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stepline serve: {e}");
            ExitCode::from(1)
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let (store, place): (Arc<dyn store::Store>, String) = if args.in_memory {
        (
            Arc::new(store::MemoryStore::new()),
            "in memory (--in-memory)".into(),
        )
    } else {
        std::fs::create_dir_all(&args.data_dir)?;
        let path = args.data_dir.join("stepline.db");
        let opts = store::SqliteOptions {
            fsync_each_commit: args.sync == "full",
            ..Default::default()
        };
        let s = store::SqliteStore::open(&path, opts)?;
        let shown = std::fs::canonicalize(&path).unwrap_or(path);
        (Arc::new(s), format!("{} (SQLite, WAL)", shown.display()))
    };
    let (state, resumed) = crate::AppState::new(store.clone(), &args.region, &args.account)?;
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port)).await?;
    let addr = listener.local_addr()?;
    println!("stepline: listening on http://{addr}");
    println!("stepline: data {place}");
    if resumed > 0 {
        println!("stepline: resuming {resumed} open executions in the background");
    }
    crate::serve(listener, state, shutdown_signal()).await?;
    println!("stepline: shutting down");
    drop(store);
    Ok(())
}
