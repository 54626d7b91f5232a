//! Integration tests live in `it/main.rs` (one test binary).
