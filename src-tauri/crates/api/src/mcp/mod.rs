//! viban as an MCP server: the board and the runs as tools a model can call. Streamable HTTP at `/api/mcp`, nested
//! under the same credential, Host and Origin guards as every other route (rmcp's own Host check is off: ours is
//! the one configured for the deployment); `viban-server mcp` bridges stdio to it. Tool errors carry the API's
//! error codes.

mod params;
mod tools;

use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use crate::ApiState;

pub use params::*;

/// What agents are given to reach this server: its MCP address and run tokens from its credentials.
pub struct AgentAccess {
    pub url: String,
    pub credentials: std::sync::Arc<crate::Credentials>,
}

impl viban_agents::mcp::McpAccess for AgentAccess {
    fn url(&self) -> String {
        self.url.clone()
    }
    fn token(&self, run: uuid::Uuid) -> String {
        self.credentials.run_token(run)
    }
}

/// The MCP endpoint's service, one `Board` handler per session.
pub fn service(state: ApiState) -> StreamableHttpService<tools::Board, LocalSessionManager> {
    let mut config = StreamableHttpServerConfig::default().disable_allowed_hosts();
    config.cancellation_token = state.shutdown.child_token();
    config.sse_keep_alive = Some(std::time::Duration::from_secs(15));
    // The rest of the API's body limit (a nested service is outside axum's `DefaultBodyLimit`).
    config.max_request_body_bytes = crate::MAX_BODY_BYTES;
    StreamableHttpService::new(
        move || Ok(tools::Board::new(state.clone())),
        LocalSessionManager::default().into(),
        config,
    )
}
