//! Which manifest to ask (settings, `VIBAN_UPDATE_URL`, the channel's default) and what to tell the user when
//! checking, downloading or installing fails: each message says that nothing changed and what to do.

use tauri::Url;
use viban_update::{UpdateChannel, UpdateSettings};

/// Where releases are published (the release workflow writes one manifest per channel; installers/README.md).
const STABLE: &str = "https://github.com/viban-dev/viban/releases/latest/download/latest.json";
const BETA: &str = "https://github.com/viban-dev/viban/releases/download/beta/latest.json";

pub struct Endpoint {
    pub url: Url,
}

/// `VIBAN_UPDATE_URL`, else the user's endpoint, else the channel's. Plain http only on loopback (signatures
/// protect the package; the manifest's privacy and availability need TLS).
pub fn resolve(settings: &UpdateSettings) -> Result<Endpoint, String> {
    let chosen = viban_update::effective_endpoint(settings).unwrap_or_else(|| {
        match settings.channel {
            UpdateChannel::Stable => STABLE,
            UpdateChannel::Beta => BETA,
        }
        .to_string()
    });
    let url = Url::parse(&chosen).map_err(|e| format!("the update address {chosen} is not a URL ({e})"))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => Ok(Endpoint { url }),
        "http" if loopback => Ok(Endpoint { url }),
        _ => Err(format!("the update address {chosen} must use https (plain http only on 127.0.0.1)")),
    }
}

/// A failed check: offline, a server that hangs, a 404, a malformed manifest. Nothing was changed.
pub fn explain_check(e: &tauri_plugin_updater::Error) -> String {
    use tauri_plugin_updater::Error as E;
    let what = match e {
        E::Reqwest(r) if r.is_timeout() => "the update server did not answer in time".to_string(),
        E::Reqwest(r) if r.is_connect() => "the update server could not be reached (are you offline?)".to_string(),
        E::Reqwest(r) if r.is_builder() => {
            "the HTTPS client could not start (are the system's CA certificates installed? package ca-certificates)"
                .to_string()
        }
        E::ReleaseNotFound => "the update server has no release for this system".to_string(),
        E::Serialization(s) => format!("the update server sent a manifest viban cannot read ({s})"),
        other => other.to_string(),
    };
    format!("Checking for updates failed: {what}. Nothing was changed; viban will try again later.")
}

/// A failed download or signature check: the package is discarded.
pub fn explain_download(e: &tauri_plugin_updater::Error) -> String {
    use tauri_plugin_updater::Error as E;
    let what = match e {
        E::Minisign(_) | E::Base64(_) | E::SignatureUtf8(_) => {
            "its signature does not match viban's release key (a damaged, truncated or forged download)".to_string()
        }
        E::SignedVersionMismatch { .. } | E::MissingSignedVersion => {
            "the package was signed for another version than the server announced".to_string()
        }
        E::Reqwest(r) if r.is_timeout() => "the download took too long".to_string(),
        other => other.to_string(),
    };
    format!("The update was not installed: {what}. It was discarded and nothing was changed.")
}

/// A failed install: a refused password, a package database locked by another install, a full disk.
pub fn explain_install(e: &tauri_plugin_updater::Error) -> String {
    let text = e.to_string();
    let hint = if matches!(e, tauri_plugin_updater::Error::AuthenticationFailed) {
        "installing needs an administrator's password, which was not given: try again, or install the package yourself"
    } else if text.contains("lock") {
        "another package install is running: try Restart to update again when it has finished"
    } else if text.contains("password") || text.contains("authentication") || text.contains("sudo") {
        "installing needs an administrator's password, which was not given: try again, or install the package yourself"
    } else {
        "the current version keeps working; try again, or install the package yourself"
    };
    format!("The update could not be installed ({text}): {hint}.")
}
