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
    /// A PostgreSQL database shared by several nodes (`postgres://user@host:port/db`);
    /// default: the environment variable `STEPLINE_STORE`, else SQLite in `--data-dir`.
    #[arg(long)]
    store: Option<String>,
    /// This node's id among the nodes sharing `--store` (default: host name, process id and
    /// start time).
    #[arg(long)]
    node_id: Option<String>,
    /// How long an execution stays leased to a node that stopped renewing (crashed or
    /// partitioned) before another node takes it over, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    lease_ms: i64,
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
    /// What Task resources mean on this server (`stepline.toml`: Lambda functions, AWS
    /// services, HTTP Task allow-list). Default: `stepline.toml` in --data-dir, else in the
    /// working directory, when present.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Step Functions Local mock configuration file for `StateMachineArn#TestCase` starts
    /// (default: $SFN_MOCK_CONFIG, else ./MockConfigFile.json when present).
    #[arg(long)]
    mock_config: Option<PathBuf>,
    // Observability (see `crate::obs` and the README).
    /// Directory of execution logs, one `<log group>.log` per CloudWatch log group (`-`:
    /// stdout). Default: `<data-dir>/logs`, stdout with `--in-memory`.
    #[arg(long, env = "STEPLINE_EXECUTION_LOG_DIR")]
    execution_log_dir: Option<String>,
    /// OTLP/HTTP endpoint for traces (`http://host:4318`); traces are off without one.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    otlp_endpoint: Option<String>,
}

/// The `stepline.toml` to read: `--config`, else the data directory's, else the working
/// directory's, when present.
fn config_path(args: &Args) -> Option<PathBuf> {
    if let Some(p) = &args.config {
        return Some(p.clone());
    }
    [
        args.data_dir.join("stepline.toml"),
        PathBuf::from("stepline.toml"),
    ]
    .into_iter()
    .find(|p| p.is_file())
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

/// The node id when none is given: unique among live nodes, readable in `owner` columns.
fn default_node_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".into());
    format!(
        "{host}-{}-{}",
        std::process::id(),
        crate::runtime::now_ms() % 1_000_000
    )
}

/// Execution logs and traces from the flags (and their environment variables); installs the
/// server-log subscriber.
fn obs_config(args: &Args) -> crate::obs::ObsConfig {
    crate::obs::init_server_logs();
    let mut obs = crate::obs::ObsConfig::from_env();
    obs.log_dir = match args.execution_log_dir.as_deref() {
        Some("-") => None,
        Some(d) => Some(d.into()),
        None if args.in_memory => None,
        None => Some(args.data_dir.join("logs")),
    };
    if args.otlp_endpoint.is_some() {
        obs.otlp_endpoint = args.otlp_endpoint.clone();
    }
    obs
}

/// `stepline serve --store postgres://...`: one node of several.
async fn run_cluster(args: &Args, url: &str) -> anyhow::Result<()> {
    let id = args.node_id.clone().unwrap_or_else(default_node_id);
    let opts = store::PostgresOptions {
        node: Some(store::postgres::NodeOptions {
            id: id.clone(),
            lease_ms: args.lease_ms.max(100),
        }),
        ..Default::default()
    };
    let u = url.to_string();
    let pg =
        Arc::new(tokio::task::spawn_blocking(move || store::PostgresStore::open(&u, opts)).await??);
    let (state, cluster) = crate::AppState::cluster(
        pg.clone(),
        &args.region,
        &args.account,
        args.lease_ms.max(100),
        obs_config(args),
    )?;
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port)).await?;
    let addr = listener.local_addr()?;
    println!("stepline: listening on http://{addr}");
    println!(
        "stepline: data PostgreSQL database {} (node {id}, lease {} ms)",
        pg.database().unwrap_or("?"),
        args.lease_ms.max(100)
    );
    let c = cluster.clone();
    let stopping = async move {
        shutdown_signal().await;
        c.drain();
    };
    crate::serve(listener, state, stopping).await?;
    println!("stepline: shutting down");
    tokio::task::spawn_blocking(move || {
        cluster.shutdown();
        let s = pg.stats();
        println!(
            "stepline: PostgreSQL: {} submissions in {} write round trips ({} statements), {} reads; claimed {} executions from other nodes, forwarded {} calls",
            s.submissions, s.round_trips, s.statements, s.reads, cluster.claimed(), cluster.forwarded()
        );
        pg.close();
    })
    .await?;
    Ok(())
}

async fn run(args: Args) -> anyhow::Result<()> {
    let url = args
        .store
        .clone()
        .or_else(|| std::env::var("STEPLINE_STORE").ok())
        .filter(|u| !u.is_empty());
    if let Some(url) = url {
        if args.in_memory {
            anyhow::bail!("--in-memory and --store (or STEPLINE_STORE) exclude each other");
        }
        if !(url.starts_with("postgres://")
            || url.starts_with("postgresql://")
            || url.contains("host="))
        {
            anyhow::bail!("--store takes a PostgreSQL URL (postgres://user@host:port/db)");
        }
        return run_cluster(&args, &url).await;
    }
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
    let obs = obs_config(&args);
    let mut setup = crate::tasks::Setup {
        integrations: None,
        mock_config: args
            .mock_config
            .clone()
            .or_else(integrations::default_mock_config_path),
        state_dir: (!args.in_memory).then(|| args.data_dir.clone()),
    };
    let config_file = config_path(&args);
    if let Some(p) = &config_file {
        let config = integrations::Config::load(p)?;
        setup.integrations = Some(integrations::Integrations::new(
            config,
            &args.region,
            &args.account,
        ));
    }
    let (state, resumed) = crate::AppState::with_tasks_and_obs(
        store.clone(),
        &args.region,
        &args.account,
        setup,
        obs,
    )?;
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port)).await?;
    let addr = listener.local_addr()?;
    println!("stepline: listening on http://{addr}");
    println!("stepline: data {place}");
    if let Some(p) = &config_file {
        println!("stepline: integrations from {}", p.display());
    }
    if resumed > 0 {
        println!("stepline: resuming {resumed} open executions in the background");
    }
    crate::serve(listener, state, shutdown_signal()).await?;
    println!("stepline: shutting down");
    drop(store);
    Ok(())
}
