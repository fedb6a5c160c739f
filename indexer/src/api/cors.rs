//! Cross-origin reads of the REST API from web pages (the market page, anyone's dashboard):
//! the configured origins may GET every endpoint from a browser; the default is any origin,
//! as the API only reads public chain data.

use axum::http::{HeaderValue, Method};
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The origins allowed by default: any.
pub const ANY_ORIGIN: &str = "*";
/// How long a browser may keep a preflight's answer.
pub const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// An origin that is not a header value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cors_allowed_origins: `{0}` is not an origin (e.g. https://market.example)")]
pub struct BadOrigin(pub String);

/// The CORS layer for `origins` (`*` for any; empty for none: browsers of other sites
/// cannot read the API). GET (and its preflight) only.
pub fn layer(origins: &[String]) -> Result<Option<CorsLayer>, BadOrigin> {
    if origins.is_empty() {
        return Ok(None);
    }
    let allow = if origins.iter().any(|o| o == ANY_ORIGIN) {
        AllowOrigin::any()
    } else {
        let values = origins
            .iter()
            .map(|o| HeaderValue::from_str(o.trim_end_matches('/')).map_err(|_| BadOrigin(o.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        AllowOrigin::list(values)
    };
    Ok(Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::HEAD])
            .allow_headers(tower_http::cors::Any)
            .max_age(PREFLIGHT_MAX_AGE),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    fn app(origins: &[&str]) -> Router {
        let origins: Vec<String> = origins.iter().map(|o| o.to_string()).collect();
        let router = Router::new().route("/v1/services", get(|| async { "[]" }));
        match layer(&origins).unwrap() {
            Some(cors) => router.layer(cors),
            None => router,
        }
    }

    async fn answer(app: Router, method: Method, origin: &str) -> axum::http::Response<Body> {
        let mut request = Request::builder().method(method.clone()).uri("/v1/services").header("origin", origin);
        if method == Method::OPTIONS {
            request = request.header("access-control-request-method", "GET");
        }
        app.oneshot(request.body(Body::empty()).unwrap()).await.unwrap()
    }

    #[tokio::test]
    async fn any_origin_reads_by_default_and_a_list_admits_only_its_origins() {
        let any = answer(app(&[ANY_ORIGIN]), Method::GET, "https://market.example").await;
        assert_eq!(any.headers()["access-control-allow-origin"], "*");
        let preflight = answer(app(&[ANY_ORIGIN]), Method::OPTIONS, "https://market.example").await;
        assert!(preflight.headers()["access-control-allow-methods"].to_str().unwrap().contains("GET"));

        let listed = app(&["https://market.example/"]);
        let ours = answer(listed.clone(), Method::GET, "https://market.example").await;
        assert_eq!(ours.headers()["access-control-allow-origin"], "https://market.example");
        let theirs = answer(listed, Method::GET, "https://evil.example").await;
        assert!(theirs.headers().get("access-control-allow-origin").is_none());

        let none = answer(app(&[]), Method::GET, "https://market.example").await;
        assert!(none.headers().get("access-control-allow-origin").is_none());
        assert_eq!(layer(&["bad\norigin".into()]).unwrap_err(), BadOrigin("bad\norigin".into()));
    }
}
