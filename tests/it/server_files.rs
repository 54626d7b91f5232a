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
