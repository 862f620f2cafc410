//! The console's HTTP surface, exercised in-process: `mount` serves the page at GET / while
//! POST / (and every other request) still reaches the API router it wraps.

use axum::body::{to_bytes, Body};
use axum::http::{Request, StatusCode};
use axum::routing::post;
use axum::Router;
use tower::ServiceExt;

/// A stand-in for the Step Functions API: answers POST on any path via its fallback, as
/// `stepline serve` does.
fn api() -> Router {
    Router::new()
        .fallback(post(|| async { "api" }).get(|| async { (StatusCode::NOT_FOUND, "api-get") }))
}

async fn call(app: Router, method: &str, uri: &str, body: &str) -> (StatusCode, String, String) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let res = app.oneshot(req).await.expect("infallible");
    let status = res.status();
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes = to_bytes(res.into_body(), 1 << 24).await.expect("body");
    (status, ctype, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn mount_serves_the_page_and_forwards_the_api() {
    let app = console::mount(api());
    let (s, ct, body) = call(app.clone(), "GET", "/", "").await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.starts_with("text/html"));
    assert!(body.contains(r#"<script type="module" src="/console/app.js">"#));
    // POST / is the API, not a 405 from the page's route.
    let (s, _, body) = call(app.clone(), "POST", "/", "{}").await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "api"));
    let (s, _, body) = call(app.clone(), "POST", "/anything", "{}").await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "api"));
    let (s, _, body) = call(app.clone(), "GET", "/elsewhere", "").await;
    assert_eq!((s, body.as_str()), (StatusCode::NOT_FOUND, "api-get"));
    let (s, ct, body) = call(app.clone(), "GET", "/console/app.js", "").await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.starts_with("text/javascript"));
    assert!(body.contains("X-Amz-Target"));
    let (s, ct, _) = call(app, "GET", "/console/style.css", "").await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.starts_with("text/css"));
}

#[tokio::test]
async fn layout_endpoint_returns_boxes_and_svg() {
    let app: Router = console::router();
    let def = r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Succeed"}}}"#;
    let (s, ct, body) = call(app.clone(), "POST", "/console/layout", def).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ct, "application/json");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    let names: Vec<&str> = v["layout"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["name"].as_str())
        .filter(|n| !n.is_empty())
        .collect();
    assert_eq!(names, ["A", "B"]);
    assert!(v["svg"].as_str().expect("svg").contains(r#"data-name="B""#));
    // The API's `definition` field is a JSON string holding the definition: accepted too.
    let quoted = serde_json::to_string(def).expect("quote");
    let (s, _, body2) = call(app.clone(), "POST", "/console/layout", &quoted).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body2, body);
    let (s, _, body) = call(app.clone(), "POST", "/console/layout", "{\"StartAt\":").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("not valid JSON"));
    let (s, _, body) = call(app, "POST", "/console/layout", "{\"StartAt\":\"A\"}").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("'States' object"));
}

/// The router is generic over the state, so it merges into a stateful router.
#[tokio::test]
async fn router_merges_into_a_stateful_router() {
    #[derive(Clone)]
    struct St;
    let app: Router = Router::<St>::new()
        .route("/x", post(|| async { "x" }))
        .merge(console::router())
        .with_state(St);
    let (s, ct, _) = call(app, "GET", "/console/", "").await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.starts_with("text/html"));
}
