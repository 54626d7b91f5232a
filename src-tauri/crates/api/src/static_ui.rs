//! The built UI (`ui/dist`), with `index.html` for every path the UI routes itself.

use std::path::PathBuf;

use axum::Router;
use axum::http::StatusCode;
use tower_http::services::{ServeDir, ServeFile};

use crate::ApiState;

pub fn router(ui_dir: Option<PathBuf>) -> Router<ApiState> {
    match ui_dir.filter(|d| d.join("index.html").is_file()) {
        Some(dir) => {
            let index = ServeFile::new(dir.join("index.html"));
            Router::new().fallback_service(ServeDir::new(&dir).fallback(index))
        }
        None => Router::new().fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                "The viban UI is not built. Run `cargo xtask run --headless` (it builds ui/dist), or set VIBAN_UI_DIR.",
            )
        }),
    }
}
