//! `cargo xtask <command>`: the README's two commands (`run`, `test`) and the tools behind them.
//! Kept free of the app's crates so it builds in seconds and can install what the app needs first.

mod bundle;
mod cmd;
mod deny;
mod desktop;
mod dist;
mod external;
mod failures;
mod installers;
mod release;
mod setup;
mod test;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "viban developer commands")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Install what is missing: apt packages (as root or via sudo), npm packages, PostgreSQL binaries.
    Setup,
    /// Build the UI and the app and run it (desktop by default; --headless serves the board to a browser).
    Run {
        /// Serve the board to a browser instead of opening the desktop window.
        #[arg(long)]
        headless: bool,
        /// Build with optimisations.
        #[arg(long)]
        release: bool,
        /// Extra arguments for `viban-server serve` (e.g. --bind 127.0.0.1:7777).
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Run every check and test: fmt, clippy, layering, Rust tests (real PostgreSQL, git), UI unit tests,
    /// generated-types freshness, browser e2e.
    Test {
        /// Skip the browser end-to-end tests.
        #[arg(long)]
        no_e2e: bool,
    },
    /// Only the desktop end-to-end tests (virtual display, tray, WebDriver).
    TestDesktop,
    /// Only the installer tests: packages of N, N+1 and a broken N+2 installed and updated in a clean Debian root.
    TestInstallers,
    /// Regenerate ui/src/api/generated/types.ts from the Rust types (--check: fail if stale).
    GenTypes {
        #[arg(long)]
        check: bool,
    },
    /// Fail if a headless crate depends on tauri.
    CheckLayering,
    /// Build the .deb and .rpm (release, Tauri's bundler, PostgreSQL and the UI inside) into target/bundle-out.
    Bundle {
        /// Bundle the debug build (what the tests do: no second full build).
        #[arg(long)]
        debug: bool,
        /// Version stamped into the app and the packages (default: tauri.conf.json's).
        #[arg(long)]
        version: Option<String>,
        /// Package kinds, comma separated (appimage needs downloads from GitHub).
        #[arg(long, default_value = "deb,rpm")]
        bundles: String,
        /// Output folder (default target/bundle-out).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Build the self-contained viban-server (release, stripped; PostgreSQL and the UI packed in) into
    /// target/dist/viban-server and print its size.
    Dist {
        /// Pack the debug build instead (no release build).
        #[arg(long)]
        debug: bool,
    },
    /// Sign the bundle output of one version and write latest.json (keys from TAURI_SIGNING_PRIVATE_KEY[_PASSWORD]).
    Release {
        #[arg(long)]
        version: String,
        /// Where the packages are (default target/bundle-out).
        #[arg(long)]
        bundle_dir: Option<PathBuf>,
        /// Where the packages will be downloadable from.
        #[arg(long)]
        base_url: String,
        /// Release notes (Markdown file).
        #[arg(long)]
        notes: Option<PathBuf>,
        /// Output folder for the packages, signatures and latest.json (default target/release-out).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run the benchmarks (release build) and write bench-results/latest.md (and server.md, installers.md).
    Bench {
        /// Fewer repetitions, for a quick look.
        #[arg(long)]
        quick: bool,
        /// Only the server shapes (self-contained binary, image, deploy): bench-results/server.md.
        #[arg(long)]
        server_only: bool,
    },
}

/// The workspace root (xtask lives at src-tauri/crates/xtask).
pub fn root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.ancestors().nth(3).map(PathBuf::from).unwrap_or(here)
}

fn main() -> std::process::ExitCode {
    match dispatch(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Setup => setup::all().map(|_| ()),
        Command::Run { headless, release, args } => cmd::run(headless, release, &args),
        Command::Test { no_e2e } => test::all(!no_e2e),
        Command::TestInstallers => setup::all().and_then(|_| installers::run()),
        Command::TestDesktop => setup::all().and_then(|r| desktop::tests(&r.pg_bin)),
        Command::GenTypes { check } => cmd::gen_types(check),
        Command::CheckLayering => cmd::check_layering(),
        Command::Bench { quick, server_only: true } => cmd::server_bench(quick),
        Command::Bench { quick, server_only: false } => cmd::bench(quick),
        Command::Dist { debug } => dist::dist(debug).map(|_| ()),
        Command::Release { version, bundle_dir, base_url, notes, out } => {
            let notes = notes.map(std::fs::read_to_string).transpose()?;
            release::release(&release::Release {
                version,
                bundle_dir: bundle_dir.unwrap_or_else(|| root().join("target/bundle-out")),
                base_url,
                notes,
                out: out.unwrap_or_else(|| root().join("target/release-out")),
            })
            .map(|_| ())
        }
        Command::Bundle { debug, version, bundles, out } => bundle::bundle(&bundle::Options {
            release: !debug,
            version,
            bundles,
            out: out.unwrap_or_else(|| root().join("target/bundle-out")),
            pubkey: None,
            signing_key: None,
        })
        .map(|_| ()),
    }
}
