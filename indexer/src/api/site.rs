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
