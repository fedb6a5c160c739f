//! The market's web application (the built `web/dist`) and the contracts' ink! metadata,
//! served beside the REST API so that one origin holds page, data and ABIs.
//!
//! `/contracts/osiris_<name>/osiris_<name>.json` is cargo-contract's metadata of the
//! deployed contracts (the `contracts_dir` is `contracts/target/ink`); any other path that
//! is not an API path is a file of the web application, `/` its `index.html`.

use axum::response::IntoResponse;
use axum::Router;
use std::path::PathBuf;
use tower_http::services::{ServeDir, ServeFile};

/// The URL path the contracts' metadata is served under.
pub const CONTRACTS_PATH: &str = "/contracts";

/// Where the served files are.
#[derive(Debug, Clone)]
pub struct Site {
    /// The web application's built files (`index.html` and its assets).
    pub web_dir: PathBuf,
    /// cargo-contract's output folder, `contracts/target/ink`.
    pub contracts_dir: PathBuf,
}

impl Site {
    /// The service answering every path the API does not: a file, or a 404.
    pub fn service(&self) -> Router {
        // Only the metadata files: the Wasm and bundles beside them are not the page's business.
        let contracts = Router::new().route(
            "/{folder}/{file}",
            axum::routing::get({
                let dir = self.contracts_dir.clone();
                move |axum::extract::Path((folder, file)): axum::extract::Path<(String, String)>,
                      request: axum::extract::Request| {
                    let dir = dir.clone();
                    async move {
                        let wanted = folder.starts_with("osiris_")
                            && file == format!("{folder}.json")
                            && folder.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
                        if !wanted {
                            return super::ApiError::NotFound(format!("no contract metadata `{folder}/{file}`"))
                                .into_response();
                        }
                        use tower::ServiceExt;
                        match ServeFile::new(dir.join(&folder).join(&file)).oneshot(request).await {
                            Ok(response) => response.into_response(),
                            Err(never) => match never {},
                        }
                    }
                }
            }),
        );
        Router::new().nest(CONTRACTS_PATH, contracts).fallback_service(ServeDir::new(&self.web_dir))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    async fn get(router: &Router, path: &str, gzip: bool) -> (StatusCode, Option<String>, Vec<u8>) {
        let mut request = Request::get(path);
        if gzip {
            request = request.header("accept-encoding", "gzip");
        }
        let app = router.clone().layer(tower_http::compression::CompressionLayer::new());
        let response = app.oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
        let encoding = response.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_string());
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec();
        (status, encoding, body)
    }

    #[tokio::test]
    async fn the_page_and_the_contracts_metadata_are_served_and_nothing_else_of_the_contracts_folder() {
        let dir = tempfile::tempdir().unwrap();
        let (web, contracts) = (dir.path().join("web"), dir.path().join("ink"));
        std::fs::create_dir_all(web.join("assets")).unwrap();
        std::fs::create_dir_all(contracts.join("osiris_escrow")).unwrap();
        let page = format!("<!doctype html><title>Osiris Market</title>{}", "<p>market</p>".repeat(200));
        std::fs::write(web.join("index.html"), &page).unwrap();
        std::fs::write(contracts.join("osiris_escrow/osiris_escrow.json"), r#"{"spec":{}}"#).unwrap();
        std::fs::write(contracts.join("osiris_escrow/osiris_escrow.wasm"), b"\0asm").unwrap();
        std::fs::write(dir.path().join("secret"), "key").unwrap();
        let router = Site { web_dir: web, contracts_dir: contracts }.service();

        let (status, encoding, body) = get(&router, "/", true).await;
        assert_eq!((status, encoding.as_deref()), (StatusCode::OK, Some("gzip")));
        assert!(body.len() < page.len(), "compressed");
        let (status, _, body) = get(&router, "/contracts/osiris_escrow/osiris_escrow.json", false).await;
        assert_eq!((status, body.as_slice()), (StatusCode::OK, br#"{"spec":{}}"#.as_slice()));
        for path in [
            "/contracts/osiris_escrow/osiris_escrow.wasm",
            "/contracts/osiris_escrow/osiris_other.json",
            "/contracts/..%2Fsecret/..%2Fsecret.json",
            "/../secret",
            "/assets/missing.js",
        ] {
            assert_eq!(get(&router, path, false).await.0, StatusCode::NOT_FOUND, "{path}");
        }
    }
}
