//! The console's HTTP routes.

use axum::body::Bytes;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

const INDEX_HTML: &str = include_str!("../assets/index.html");
const APP_JS: &str = include_str!("../assets/app.js");
const STYLE_CSS: &str = include_str!("../assets/style.css");

/// The console's asset and layout routes, all under `/console/`: `GET /console/` (the page),
/// `GET /console/app.js`, `GET /console/style.css`, and `POST /console/layout` (a definition in
/// the body → `{"layout": {...}, "svg": "..."}`, or 400 `{"message": ...}`). Generic over the
/// state and without a fallback, so it merges into any router. It does not claim `/`: use
/// [`mount`] to also serve the page at `GET /` next to an API answering POST /.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/console", get(index))
        .route("/console/", get(index))
        .route("/console/app.js", get(app_js))
        .route("/console/style.css", get(style_css))
        .route("/console/layout", post(layout))
}

/// Puts the console in front of `api` (the Step Functions API router, answering POST / with
/// `X-Amz-Target`): `GET /` and `GET /console/...` serve the console, `POST /console/layout` lays
/// out a definition, and every other request (any method on `/` but GET/HEAD, any other path)
/// goes to `api` unchanged. A plain `merge` cannot do this: a GET-only route on `/` would answer
/// POST / with 405 instead of reaching the API's fallback.
pub fn mount(api: Router) -> Router {
    Router::new()
        .route("/", get(index).fallback_service(api.clone()))
        .merge(router())
        .fallback_service(api)
}

async fn index() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        INDEX_HTML,
    )
        .into_response()
}

async fn app_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        APP_JS,
    )
        .into_response()
}

async fn style_css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        STYLE_CSS,
    )
        .into_response()
}

fn json(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The body is the definition itself, or a JSON string holding it (as the API's `definition`
/// field does).
async fn layout(body: Bytes) -> Response {
    let parsed: Result<serde_json::Value, _> = serde_json::from_slice(&body);
    let def = match parsed {
        Ok(serde_json::Value::String(s)) => serde_json::from_str(&s),
        other => other,
    };
    let result = def
        .map_err(|e| crate::layout::LayoutError::Json(e.to_string()))
        .and_then(|d| crate::layout::layout(&d));
    match result {
        Ok(l) => {
            let svg = crate::layout::to_svg(&l);
            let body = serde_json::json!({ "layout": l, "svg": svg });
            json(StatusCode::OK, body.to_string())
        }
        Err(e) => json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({ "message": e.to_string() }).to_string(),
        ),
    }
}
