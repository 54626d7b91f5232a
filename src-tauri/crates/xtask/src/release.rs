//! `cargo xtask release --version X`: the update artifacts and `latest.json` from the bundle output.
//! Every package of version X gets a signature (the bundler's `.sig`, or `tauri signer sign` with the key from
//! `TAURI_SIGNING_PRIVATE_KEY`), and the manifest lists it under the updater's platform key.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::cmd::status;
use crate::root;

pub struct Release {
    pub version: String,
    pub bundle_dir: PathBuf,
    /// Where the packages will be downloadable from (their file names are appended).
    pub base_url: String,
    pub notes: Option<String>,
    pub out: PathBuf,
}

/// The updater's platform key for a package file name (`{os}-{arch}-{bundle}`), or None for other files.
pub fn platform_key(name: &str) -> Option<String> {
    let arch = if name.contains("amd64") || name.contains("x86_64") || name.contains("x64") {
        "x86_64"
    } else if name.contains("arm64") || name.contains("aarch64") {
        "aarch64"
    } else {
        return None;
    };
    let (os, bundle) = if name.ends_with(".deb") {
        ("linux", Some("deb"))
    } else if name.ends_with(".rpm") {
        ("linux", Some("rpm"))
    } else if name.ends_with(".AppImage") {
        ("linux", Some("appimage"))
    } else if name.ends_with(".app.tar.gz") {
        ("darwin", Some("app"))
    } else if name.ends_with(".msi") {
        ("windows", Some("msi"))
    } else if name.ends_with("-setup.exe") {
        ("windows", Some("nsis"))
    } else {
        return None;
    };
    Some(match bundle {
        Some(b) => format!("{os}-{arch}-{b}"),
        None => format!("{os}-{arch}"),
    })
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn sign(package: &Path) -> Result<String> {
    let sig = PathBuf::from(format!("{}.sig", package.display()));
    if !sig.is_file() {
        if std::env::var_os("TAURI_SIGNING_PRIVATE_KEY").is_none() {
            bail!("{} has no signature and TAURI_SIGNING_PRIVATE_KEY is not set", package.display());
        }
        let tauri = root().join("ui/node_modules/.bin/tauri");
        status(Command::new(tauri).args(["signer", "sign"]).arg(package))?;
    }
    let text = std::fs::read_to_string(&sig).with_context(|| format!("reading {}", sig.display()))?;
    Ok(text.trim().to_string())
}

/// The packages of `version` in `dir`, each with its platform key; fails when another version is there too.
fn packages(dir: &Path, version: &str) -> Result<Vec<(String, PathBuf)>> {
    let mut found = Vec::new();
    let mut others = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(key) = platform_key(&name) else { continue };
        if name.contains(&format!("_{version}_")) || name.contains(&format!("-{version}-")) {
            found.push((key, entry.path()));
        } else {
            others.push(name);
        }
    }
    if !others.is_empty() {
        bail!("{} holds packages of another version than {version}: {}", dir.display(), others.join(", "));
    }
    if found.is_empty() {
        bail!("no package of version {version} in {}", dir.display());
    }
    found.sort();
    Ok(found)
}

pub fn release(opts: &Release) -> Result<PathBuf> {
    let version = opts.version.trim_start_matches('v');
    let packages = packages(&opts.bundle_dir, version)?;
    std::fs::create_dir_all(&opts.out)?;
    let mut platforms = Vec::new();
    for (key, path) in &packages {
        let signature = sign(path)?;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let url = format!("{}/{}", opts.base_url.trim_end_matches('/'), name);
        let dest = opts.out.join(name.as_ref());
        if dest != *path {
            std::fs::copy(path, &dest).with_context(|| format!("copying {}", path.display()))?;
            std::fs::write(format!("{}.sig", dest.display()), &signature)?;
        }
        platforms.push(format!(
            "    {}: {{ \"url\": {}, \"signature\": {} }}",
            json_string(key),
            json_string(&url),
            json_string(&signature)
        ));
    }
    let pub_date = crate::cmd::output(Command::new("date").args(["-u", "+%Y-%m-%dT%H:%M:%SZ"]))?;
    let manifest = format!(
        "{{\n  \"version\": {},\n  \"notes\": {},\n  \"pub_date\": {},\n  \"platforms\": {{\n{}\n  }}\n}}\n",
        json_string(version),
        json_string(opts.notes.as_deref().unwrap_or("")),
        json_string(pub_date.trim()),
        platforms.join(",\n")
    );
    let path = opts.out.join("latest.json");
    std::fs::write(&path, manifest).with_context(|| format!("writing {}", path.display()))?;
    println!("release: {} package(s) of {version} signed; manifest {}", packages.len(), path.display());
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_keys_follow_the_updater_naming() {
        assert_eq!(platform_key("viban_0.1.1_amd64.deb").as_deref(), Some("linux-x86_64-deb"));
        assert_eq!(platform_key("viban-0.1.1-1.x86_64.rpm").as_deref(), Some("linux-x86_64-rpm"));
        assert_eq!(platform_key("viban_0.1.1_arm64.deb").as_deref(), Some("linux-aarch64-deb"));
        assert_eq!(platform_key("viban_0.1.1_amd64.AppImage").as_deref(), Some("linux-x86_64-appimage"));
        assert_eq!(platform_key("viban_0.1.1_x64-setup.exe").as_deref(), Some("windows-x86_64-nsis"));
        assert_eq!(platform_key("viban_0.1.1_x64_en-US.msi").as_deref(), Some("windows-x86_64-msi"));
        assert_eq!(platform_key("viban_aarch64.app.tar.gz").as_deref(), Some("darwin-aarch64-app"));
        assert_eq!(platform_key("viban_0.1.1_amd64.deb.sig"), None);
        assert_eq!(platform_key("latest.json"), None);
    }

    #[test]
    fn json_strings_escape_what_json_requires() {
        assert_eq!(json_string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
    }
}
