//! `stepline serve`: the AWS Step Functions API (AWS JSON 1.0) over the [`store`] and the
//! deterministic [`engine`].
//!
//! Requests are `POST` with `X-Amz-Target: AWSStepFunctions.<Operation>` and a JSON body, on
//! any path and any `Host` (so `sync-` host prefixes work). SigV4 signatures are accepted
//! unchecked; the region of the credential scope, when present, names the region of the ARNs a
//! request creates. Errors are `{"__type", "message"}` with HTTP 400.

pub mod activities;
pub mod bench;
pub mod cli;
pub mod cluster;
pub mod nested;
pub mod obs;
pub mod ops;
pub mod protocol;
pub mod redrive;
pub mod runtime;
pub mod sync_jobs;
pub mod tasks;
pub mod test_state;
pub mod waiting;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use protocol::ApiError;
use runtime::Runtime;
use serde_json::Value;
use std::future::Future;
use std::sync::Arc;
use store::Store;

/// Largest request body read (AWS's largest member is a 1 MiB definition).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub rt: Arc<Runtime>,
    pub region: String,
    pub account: String,
}

impl AppState {
    /// Builds the state and starts resuming every open execution in the background (must run
    /// inside a tokio runtime); returns how many it resumes. The API serves at once: see
    /// [`Runtime::recover_in_background`].
    pub fn new(
        store: Arc<dyn Store>,
        region: &str,
        account: &str,
    ) -> Result<(AppState, usize), store::StoreError> {
        AppState::with_tasks(store, region, account, tasks::Setup::default())
    }

    /// [`AppState::new`] with execution logs and traces configured (see [`obs`]).
    pub fn with_obs(
        store: Arc<dyn Store>,
        region: &str,
        account: &str,
        obs: obs::ObsConfig,
    ) -> Result<(AppState, usize), store::StoreError> {
        AppState::with_tasks_and_obs(store, region, account, tasks::Setup::default(), obs)
    }

    /// [`AppState::new`] with the integrations and mock file of `stepline.toml`; they are in
    /// place before open executions resume.
    pub fn with_tasks(
        store: Arc<dyn Store>,
        region: &str,
        account: &str,
        setup: tasks::Setup,
    ) -> Result<(AppState, usize), store::StoreError> {
        AppState::with_tasks_and_obs(store, region, account, setup, obs::ObsConfig::from_env())
    }

    /// [`AppState::with_tasks`] and [`AppState::with_obs`] together.
    pub fn with_tasks_and_obs(
        store: Arc<dyn Store>,
        region: &str,
        account: &str,
        setup: tasks::Setup,
        obs: obs::ObsConfig,
    ) -> Result<(AppState, usize), store::StoreError> {
        let store: Arc<dyn Store> = Arc::new(store::CachedStore::new(store));
        let mut rt = Runtime::new(store.clone(), region.into(), account.into())?;
        rt.obs = Arc::new(obs::Obs::new(obs));
        let rt = Arc::new(rt);
        // Before the replays: they check the activities their tasks name.
        activities::migrate_registry(&*store)?;
        let open: std::collections::HashSet<String> = if setup.state_dir.is_some() {
            store
                .open_executions()?
                .into_iter()
                .map(|r| r.arn)
                .collect()
        } else {
            Default::default()
        };
        rt.tasks.configure(setup, |arn| open.contains(arn));
        let resumed = rt.recover_in_background()?;
        Ok((
            AppState {
                store,
                rt,
                region: region.into(),
                account: account.into(),
            },
            resumed,
        ))
    }
}

impl AppState {
    /// Builds the state of a node sharing a PostgreSQL store with others (must run inside a
    /// tokio runtime). No read cache: another node may change any record. No recovery of
    /// every open execution: the cluster claims the ones no live node holds.
    pub fn cluster(
        pg: Arc<store::PostgresStore>,
        region: &str,
        account: &str,
        lease_ms: i64,
        obs: obs::ObsConfig,
    ) -> Result<(AppState, Arc<cluster::Cluster>), store::StoreError> {
        let store: Arc<dyn Store> = pg.clone();
        activities::migrate_registry(&*store)?;
        let mut rt = Runtime::new(store.clone(), region.into(), account.into())?;
        rt.obs = Arc::new(obs::Obs::new(obs));
        let rt = Arc::new(rt);
        let st = AppState {
            store,
            rt,
            region: region.into(),
            account: account.into(),
        };
        let c = cluster::Cluster::start(st.clone(), pg, lease_ms);
        Ok((st, c))
    }
}

fn respond(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, serde_json::to_vec(body).unwrap_or_default()).into_response();
    let h = r.headers_mut();
    h.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        h.insert("x-amzn-requestid", id);
    }
    r
}

fn error_response(e: &ApiError) -> Response {
    let status = if e.kind == "InternalFailure" {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::BAD_REQUEST
    };
    respond(status, &e.to_json())
}

async fn handle(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let Ok(body) = body else {
        return error_response(&ApiError::new(
            "ValidationException",
            format!("1 validation error detected: the request body exceeds the maximum size of {MAX_BODY_BYTES} bytes"),
        ));
    };
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(op) = target.strip_prefix("AWSStepFunctions.") else {
        return error_response(&ApiError::new(
            "UnknownOperationException",
            "Missing or unknown X-Amz-Target: expected AWSStepFunctions.<Operation>",
        ));
    };
    let parsed: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(_) => {
                return error_response(&ApiError::new(
                    "SerializationException",
                    "Malformed JSON: the request body is not a valid JSON document",
                ))
            }
        }
    };
    let Value::Object(map) = parsed else {
        return error_response(&ApiError::new(
            "SerializationException",
            "Start of structure or map expected: the request body must be a JSON object",
        ));
    };
    let region = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(protocol::region_from_authorization)
        .unwrap_or(&st.region)
        .to_string();
    let caller = ops::Caller {
        region,
        account: st.account.clone(),
    };
    if let Some(c) = st.rt.cluster.get().cloned() {
        if let Some(r) = c.intercept(&st, &caller, op, &map).await {
            return match r {
                Ok(v) => respond(StatusCode::OK, &v),
                Err(e) => error_response(&e),
            };
        }
    }
    match ops::dispatch(&st, &caller, op, &map).await {
        Ok(v) => respond(StatusCode::OK, &v),
        Err(e) => error_response(&e),
    }
}

pub fn router(st: AppState) -> axum::Router {
    axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(obs::metrics_handler).post(handle),
        )
        .fallback(axum::routing::post(handle).get(not_post))
        .layer(axum::middleware::from_fn(obs::request_log))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(st)
}

async fn not_post() -> Response {
    error_response(&ApiError::new(
        "UnknownOperationException",
        "Step Functions accepts POST requests only",
    ))
}

/// Serves on `listener` until `shutdown` resolves; in-flight requests finish first.
pub async fn serve(
    listener: tokio::net::TcpListener,
    st: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, console::mount(router(st)))
        .with_graceful_shutdown(shutdown)
        .await
}
