//! Logs for both binaries: stderr and a daily-rolling file in the log dir (7 kept). `VIBAN_LOG` sets the filter.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use viban_core::AppPaths;

/// Keep the guard alive for the life of the process: dropping it flushes the file.
pub fn init(paths: Option<&AppPaths>, file_prefix: &str) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let filter = EnvFilter::try_from_env("VIBAN_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let stderr = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_target(false);
    let file = paths.and_then(|p| {
        // Logs hold task titles and agents' screens: private folder, private files.
        p.create_all().ok()?;
        let appender = tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix(file_prefix)
            .filename_suffix("log")
            .max_log_files(7)
            .build(&p.log_dir)
            .ok();
        let _ = p.tighten_modes();
        appender
    });
    match file {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let file_layer = tracing_subscriber::fmt::layer().with_writer(writer).with_ansi(false);
            let _ = tracing_subscriber::registry().with(filter).with(stderr).with(file_layer).try_init();
            Some(guard)
        }
        None => {
            let _ = tracing_subscriber::registry().with(filter).with(stderr).try_init();
            None
        }
    }
}
