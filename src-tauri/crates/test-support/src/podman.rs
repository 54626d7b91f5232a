//! podman for the container tests and benchmarks: a wrapper named `podman` that runs it the way this machine needs
//! (runc, no default ulimits: see PLATFORM-NOTES), given to viban as its engine; and an agent image made from the
//! fake agent and the shared libraries it links (no image registry is reachable).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Podman {
    dir: tempfile::TempDir,
}

impl Podman {
    pub fn new() -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new().prefix("viban-podman-").tempdir()?;
        let conf = dir.path().join("containers.conf");
        std::fs::write(&conf, "[containers]\ndefault_ulimits = []\n")?;
        let wrapper = dir.path().join("podman");
        std::fs::write(
            &wrapper,
            format!("#!/bin/sh\nCONTAINERS_CONF='{}' exec podman --runtime runc \"$@\"\n", conf.display()),
        )?;
        std::fs::set_permissions(&wrapper, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
        Ok(Self { dir })
    }

    /// The engine to name in agents.toml (`[container] engine = …`).
    pub fn wrapper(&self) -> PathBuf {
        self.dir.path().join("podman")
    }

    pub fn run(&self, args: &[&str]) -> anyhow::Result<Output> {
        Command::new(self.wrapper())
            .args(args)
            .output()
            .map_err(|e| anyhow::anyhow!("podman is not available ({e}): run `cargo xtask setup`"))
    }

    /// Imports `tag`: `fake_agent` at /usr/local/bin/fake-agent (and at its own path), `sh` and `setsid`, the
    /// libraries `ldd` names at their paths, a /tmp.
    pub fn agent_image(&self, fake_agent: &Path, tag: &str) -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("usr/local/bin"))?;
        std::fs::create_dir_all(root.join("tmp"))?;
        std::fs::set_permissions(root.join("tmp"), std::os::unix::fs::PermissionsExt::from_mode(0o1777))?;
        std::fs::copy(fake_agent, root.join("usr/local/bin/fake-agent"))?;
        // Also at its path on this machine, so that a profile written for the host runs unchanged in the image.
        let same = root.join(fake_agent.strip_prefix("/").unwrap_or(fake_agent));
        std::fs::create_dir_all(same.parent().unwrap_or(&root))?;
        std::fs::copy(fake_agent, &same)?;
        // `sh` and `setsid`, which the direct console needs in the image (the host's, as every image here).
        let tools = [(Path::new("/bin/sh"), "bin/sh"), (Path::new("/usr/bin/setsid"), "usr/bin/setsid")];
        for (from, to) in tools {
            std::fs::create_dir_all(root.join(to).parent().unwrap_or(&root))?;
            std::fs::copy(from, root.join(to))?;
        }
        for bin in [fake_agent, Path::new("/bin/sh"), Path::new("/usr/bin/setsid")] {
            let ldd = Command::new("ldd").arg(bin).output()?;
            for lib in String::from_utf8_lossy(&ldd.stdout).split_whitespace().filter(|w| w.starts_with('/')) {
                let to = root.join(lib.trim_start_matches('/'));
                std::fs::create_dir_all(to.parent().unwrap_or(&root))?;
                std::fs::copy(lib, &to)?;
            }
        }
        let tar = dir.path().join("root.tar");
        let made = Command::new("tar").arg("-C").arg(&root).arg("-cf").arg(&tar).arg(".").status()?;
        anyhow::ensure!(made.success(), "tar of the image's root failed");
        let _ = self.run(&["rmi", "-f", tag]);
        let imported = self.run(&["import", &tar.to_string_lossy(), tag])?;
        anyhow::ensure!(imported.status.success(), "podman import: {}", String::from_utf8_lossy(&imported.stderr));
        Ok(())
    }

    /// The names of the containers labelled with `run`.
    pub fn containers_of(&self, run: &str) -> anyhow::Result<String> {
        let out =
            self.run(&["ps", "-a", "--filter", &format!("label=dev.viban.run={run}"), "--format", "{{.Names}}"])?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }
}
