//! The files shipped for running viban as a server (`installers/server/`) are valid for the tools that read them.

/// `systemd-analyze verify` on the unit, with only the binary's path pointed at this build (the unit names
/// `/opt/viban/current/viban-server`, which a test must not create). verify exits 0 even for directives it ignores,
/// so any output at all fails the test.
#[test]
fn the_systemd_unit_passes_systemd_analyze_verify_without_a_warning() -> anyhow::Result<()> {
    let unit =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../installers/server/viban-server.service"))?;
    let bin = viban_test_support::server_bin()?;
    assert!(unit.contains("/opt/viban/current/viban-server"));
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("viban-server.service");
    std::fs::write(&path, unit.replace("/opt/viban/current/viban-server", &bin.display().to_string()))?;
    let out = std::process::Command::new("systemd-analyze").arg("verify").arg(&path).output().map_err(|e| {
        anyhow::anyhow!("systemd-analyze is not available ({e}): it comes with Debian's systemd package")
    })?;
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && said.trim().is_empty(), "{said}");
    for hardening in ["NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=read-only", "User=viban"] {
        assert!(unit.contains(hardening), "the unit lost {hardening}");
    }
    Ok(())
}

fn shipped(name: &str) -> anyhow::Result<String> {
    Ok(std::fs::read_to_string(format!("{}/../installers/server/{name}", env!("CARGO_MANIFEST_DIR")))?)
}

/// The managed-platform example parses and names what viban needs there: migrations as the release step, the
/// container's port, a health check sent with the public Host (viban refuses others), the data volume.
#[test]
fn the_fly_example_is_valid_toml_with_migrations_as_the_release_step_and_a_health_check_viban_accepts()
-> anyhow::Result<()> {
    let fly: toml::Value = toml::from_str(&shipped("fly.toml")?)?;
    assert_eq!(fly["deploy"]["release_command"].as_str(), Some("viban-server migrate"));
    assert_eq!(fly["http_service"]["internal_port"].as_integer(), Some(7777));
    let check = &fly["http_service"]["checks"][0];
    assert_eq!(check["path"].as_str(), Some("/api/health"));
    let public = fly["env"]["VIBAN_PUBLIC_URL"].as_str().unwrap_or_default();
    assert_eq!(
        check["headers"]["Host"].as_str(),
        public.strip_prefix("https://"),
        "the check's Host is the public one"
    );
    assert_eq!(fly["mounts"][0]["destination"].as_str(), Some("/data"));
    let containerfile = shipped("Containerfile")?;
    assert!(containerfile.contains("EXPOSE 7777") && containerfile.contains("VIBAN_HOME=/data"));
    // The compose example keeps the same contract (no compose engine runs here to parse it).
    let compose = shipped("compose.yaml")?;
    for part in
        ["127.0.0.1:7777:7777", "viban-data:/data", "VIBAN_TOKEN_FILE: /run/secrets/viban_token", "stop_grace_period"]
    {
        assert!(compose.contains(part), "compose.yaml lost {part}");
    }
    Ok(())
}
