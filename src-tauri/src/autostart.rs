//! "Start at login": an XDG autostart entry. Written here rather than through an autostart plugin because the
//! entry must follow `VIBAN_HOME` (tests never touch the user's real `~/.config/autostart`).

use std::path::{Path, PathBuf};

use viban_core::AppPaths;

/// Where the entry lives: under viban's config dir when `VIBAN_HOME` redirects everything, else XDG's.
pub fn entry(paths: &AppPaths) -> PathBuf {
    let redirected = std::env::var_os(viban_core::paths::HOME_ENV).is_some();
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    entry_for(paths, redirected, xdg)
}

fn entry_for(paths: &AppPaths, redirected: bool, xdg_config: Option<PathBuf>) -> PathBuf {
    let base = match (redirected, xdg_config) {
        (false, Some(xdg)) => xdg,
        _ => paths.config_dir.clone(),
    };
    base.join("autostart").join("viban.desktop")
}

pub fn is_enabled(entry: &Path) -> bool {
    entry.is_file()
}

/// Creates or removes the entry; the file's presence is the persisted setting.
pub fn set(entry: &Path, on: bool) -> std::io::Result<()> {
    if !on {
        return match std::fs::remove_file(entry) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
    }
    let exe = std::env::current_exe()?;
    if let Some(dir) = entry.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text = format!(
        "[Desktop Entry]\nType=Application\nName=viban\nComment=Kanban board for coding agents\nExec=\"{}\"\n\
         Icon=viban\nTerminal=false\nX-GNOME-Autostart-enabled=true\n",
        exe.display()
    );
    std::fs::write(entry, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_follows_viban_home_and_toggles() -> std::io::Result<()> {
        let home = tempfile::tempdir()?;
        let paths = AppPaths::under(home.path());
        let xdg = Some(PathBuf::from("/xdg"));
        assert_eq!(entry_for(&paths, false, xdg.clone()), PathBuf::from("/xdg/autostart/viban.desktop"));
        let entry = entry_for(&paths, true, xdg);
        assert!(entry.starts_with(home.path()), "{entry:?} stays under the home");
        assert!(!is_enabled(&entry));
        set(&entry, true)?;
        assert!(is_enabled(&entry));
        assert!(std::fs::read_to_string(&entry)?.contains("Exec="));
        set(&entry, false)?;
        set(&entry, false)?;
        assert!(!is_enabled(&entry));
        Ok(())
    }
}
