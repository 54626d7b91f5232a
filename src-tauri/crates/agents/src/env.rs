//! What agents must not inherit from viban's own environment: its settings and secrets (`VIBAN_TOKEN`,
//! `VIBAN_DATABASE_URL`, any other `VIBAN_*`) and `PGPASSWORD`, which viban's database connection may read. An
//! agent runs code from a branch and talks to a vendor's servers; the API token would let it drive viban itself.
//! The variables viban sets for a run (the `VIBAN_RUN_ID` marker, `VIBAN_TASK_ID`) and whatever a profile's `env`
//! sets are added after this scrub, so they reach the agent.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

/// Whether this process's variable `name` is withheld from agents and setup scripts.
pub fn is_withheld(name: &OsStr) -> bool {
    let name = name.as_bytes();
    name.starts_with(b"VIBAN_") || name == b"PGPASSWORD"
}

/// The names of this process's variables to remove from a child's environment.
pub fn withheld() -> Vec<OsString> {
    std::env::vars_os().map(|(k, _)| k).filter(|k| is_withheld(k)).collect()
}

/// Removes the withheld variables from a std command (version probes, the login-shell `PATH` probe).
pub fn scrub(cmd: &mut std::process::Command) -> &mut std::process::Command {
    for k in withheld() {
        cmd.env_remove(k);
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viban_settings_and_the_pg_password_are_withheld_others_are_not() {
        for name in ["VIBAN_TOKEN", "VIBAN_DATABASE_URL", "VIBAN_SOME_SECRET", "VIBAN_RUN_ID", "PGPASSWORD"] {
            assert!(is_withheld(OsStr::new(name)), "{name}");
        }
        for name in ["PATH", "HOME", "PGHOST", "ANTHROPIC_API_KEY", "MY_VIBAN_X", "viban_token"] {
            assert!(!is_withheld(OsStr::new(name)), "{name}");
        }
    }
}
