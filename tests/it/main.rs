//! One test binary for every black-box test. Each test has its own temp home and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agents;
mod api_flow;
mod api_security;
mod automation;
mod change_feed;
mod comments;
mod dependencies;
mod deploy;
mod disk_full;
mod editor_shell;
mod embedded_pg;
mod fake_agent;
mod harden;
mod kube_manifests;
mod land;
mod lifecycle;
mod managed_pg;
mod mcp;
mod postgres_recovery;
mod proxy;
mod review;
mod self_contained;
mod server_files;
mod worktrees;
