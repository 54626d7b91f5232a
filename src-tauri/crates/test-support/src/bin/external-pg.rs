//! Starts a PostgreSQL cluster that accepts only TLS (test-support `external_pg`) under the directory given, prints
//! `url=<database URL>` and keeps it running until stdin closes; then stops it. `cargo xtask test` runs the
//! integration suite against it.

use std::io::Read;

fn main() -> anyhow::Result<()> {
    let dir = std::env::args_os().nth(1).ok_or_else(|| anyhow::anyhow!("usage: external-pg DIR"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let (pg, url) = viban_test_support::external_pg::start(std::path::Path::new(&dir), true).await?;
        println!("url={url}");
        let _ = tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new())).await;
        pg.shutdown(std::time::Duration::from_secs(20)).await;
        Ok(())
    })
}
