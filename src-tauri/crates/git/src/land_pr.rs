//! Pull requests through the user's own `gh` (GitHub) or `glab` (GitLab), found on the login shell's PATH, with
//! their own login. The provider comes from `git config viban.prProvider` (github|gitlab) or else from the remote's
//! URL as configured (`github` / `gitlab` in its host).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use viban_core::ErrorCode;

use serde_json::Value;

use crate::land::{Branch, LandError, NETWORK_DEADLINE};
use crate::worktree::GitError;

/// Longest hook or git output passed on to the user.
const MAX_MESSAGE: usize = 8 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    GitHub,
    GitLab,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GitHub => "github",
            Self::GitLab => "gitlab",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "github" => Some(Self::GitHub),
            "gitlab" => Some(Self::GitLab),
            _ => None,
        }
    }

    pub fn program(self) -> &'static str {
        match self {
            Self::GitHub => "gh",
            Self::GitLab => "glab",
        }
    }
}

/// A pull (merge) request as the provider reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrInfo {
    pub provider: Provider,
    pub url: String,
    pub number: i64,
    /// open | merged | closed
    pub state: String,
    /// pending | passing | failing
    pub checks: Option<String>,
}

impl Branch {
    /// The provider for the branch's remote, if one is known.
    pub fn provider(&self, remote: Option<&str>) -> Option<Provider> {
        let get = |key: &str| {
            let out = self.cmd(&self.repo).args(["config", "--get", key]).output().ok()?;
            out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        };
        if let Some(p) = get("viban.prProvider").as_deref().and_then(Provider::parse) {
            return Some(p);
        }
        // The URL as written in the config (not rewritten by `insteadOf`): what the user named.
        let url = get(&format!("remote.{}.url", remote?))?.to_ascii_lowercase();
        let host = url.split("://").nth(1).unwrap_or(&url);
        let host = host.split(['/', ':']).next().unwrap_or_default();
        let host = host.rsplit('@').next().unwrap_or_default();
        if host.contains("github") {
            Some(Provider::GitHub)
        } else if host.contains("gitlab") {
            Some(Provider::GitLab)
        } else {
            None
        }
    }

    /// The `pr` command line shown before the user confirms.
    pub fn pr_command(&self, provider: Provider) -> String {
        let (b, t) = (self.branch.as_str(), self.target.as_str());
        match provider {
            Provider::GitHub => {
                shell_line(&["gh", "pr", "create", "--head", b, "--base", t, "--title", "<title>", "--body", "<body>"])
            }
            Provider::GitLab => shell_line(&[
                "glab",
                "mr",
                "create",
                "--source-branch",
                b,
                "--target-branch",
                t,
                "--title",
                "<title>",
                "--description",
                "<body>",
                "--yes",
            ]),
        }
    }

    fn cli(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        for (name, _) in std::env::vars_os() {
            let n = name.as_encoded_bytes();
            if n.starts_with(b"VIBAN_") || n == b"PGPASSWORD" {
                cmd.env_remove(name);
            }
        }
        cmd.current_dir(self.worktree_or_repo())
            .env("GH_PROMPT_DISABLED", "1")
            .env("GH_NO_UPDATE_NOTIFIER", "1")
            .env("NO_PROMPT", "1")
            .env("NO_COLOR", "1")
            .env("GIT_TERMINAL_PROMPT", "0");
        if !self.path_var.is_empty() {
            cmd.env("PATH", &self.path_var);
        }
        cmd
    }

    fn worktree_or_repo(&self) -> PathBuf {
        if self.worktree.is_dir() { self.worktree.clone() } else { self.repo.clone() }
    }

    fn call(&self, program: &Path, args: &[&str]) -> Result<Output, LandError> {
        Ok(output_within(self.cli(program).args(args), NETWORK_DEADLINE)?)
    }

    /// The CLI, or why it cannot be used (missing, not logged in), with the fix.
    pub fn find_cli(&self, provider: Provider, configured: Option<&str>) -> Result<PathBuf, LandError> {
        let program = self.locate_cli(provider, configured)?;
        let name = configured.unwrap_or(provider.program());
        let out = self.call(&program, &["auth", "status"])?;
        if !out.status.success() {
            let code = match provider {
                Provider::GitHub => ErrorCode::GhNotLoggedIn,
                Provider::GitLab => ErrorCode::GlabNotLoggedIn,
            };
            return Err(LandError::NotLoggedIn(
                code,
                format!(
                    "`{name}` is not logged in: run `{} auth login` in a terminal, then try again.\n{}",
                    provider.program(),
                    scrub(&both(&out))
                ),
            ));
        }
        Ok(program)
    }

    /// Where the CLI is (the configured path, or found on the login shell's PATH), with an install hint if nowhere.
    pub fn locate_cli(&self, provider: Provider, configured: Option<&str>) -> Result<PathBuf, LandError> {
        let name = configured.unwrap_or(provider.program());
        let found = if name.contains('/') {
            Some(PathBuf::from(name)).filter(|p| p.is_file())
        } else {
            self.path_var.split(':').filter(|d| !d.is_empty()).map(|d| Path::new(d).join(name)).find(|p| p.is_file())
        };
        let Some(program) = found else {
            let (code, hint) = match provider {
                Provider::GitHub => {
                    (ErrorCode::GhMissing, "install the GitHub CLI (https://cli.github.com, e.g. `apt install gh`)")
                }
                Provider::GitLab => (
                    ErrorCode::GlabMissing,
                    "install the GitLab CLI (https://gitlab.com/gitlab-org/cli, e.g. `apt install glab`)",
                ),
            };
            return Err(LandError::CliMissing(
                code,
                format!("`{name}` was not found on your login shell's PATH: {hint}"),
            ));
        };
        Ok(program)
    }

    /// Opens the PR (or adopts the one that already exists for the branch) and returns its state.
    pub fn create_pr(
        &self,
        provider: Provider,
        program: &Path,
        title: &str,
        body: &str,
        draft: bool,
    ) -> Result<PrInfo, LandError> {
        let (b, t) = (self.branch.as_str(), self.target.as_str());
        let mut args = match provider {
            Provider::GitHub => vec!["pr", "create", "--head", b, "--base", t, "--title", title, "--body", body],
            Provider::GitLab => vec![
                "mr",
                "create",
                "--source-branch",
                b,
                "--target-branch",
                t,
                "--title",
                title,
                "--description",
                body,
                "--yes",
            ],
        };
        if draft {
            args.push("--draft");
        }
        let out = self.call(program, &args)?;
        if out.status.success() {
            return self.view_pr(provider, program);
        }
        // Most often "already exists": adopt the PR the branch has.
        match self.view_pr(provider, program) {
            Ok(pr) if pr.state == "open" => Ok(pr),
            _ => Err(LandError::PrFailed(format!(
                "`{} {} create` failed:\n{}",
                provider.program(),
                args[0],
                scrub(&both(&out))
            ))),
        }
    }

    /// The branch's PR as the provider reports it now.
    pub fn view_pr(&self, provider: Provider, program: &Path) -> Result<PrInfo, LandError> {
        let b = self.branch.as_str();
        let args = match provider {
            Provider::GitHub => vec!["pr", "view", b, "--json", "url,number,state,statusCheckRollup"],
            Provider::GitLab => vec!["mr", "view", b, "--output", "json"],
        };
        let out = self.call(program, &args)?;
        if !out.status.success() {
            return Err(LandError::PrFailed(scrub(&both(&out))));
        }
        let v: Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| LandError::Git(GitError::Io(format!("{} printed no JSON: {e}", provider.program()))))?;
        parse_pr(provider, &v)
            .ok_or_else(|| LandError::PrFailed(format!("{} did not report a pull request", provider.program())))
    }
}

/// Reads `gh pr view --json url,number,state,statusCheckRollup` or `glab mr view --output json`.
pub fn parse_pr(provider: Provider, v: &Value) -> Option<PrInfo> {
    let (url, number, state, checks) = match provider {
        Provider::GitHub => {
            let checks = v["statusCheckRollup"].as_array().and_then(|a| github_checks(a));
            (v["url"].as_str()?, v["number"].as_i64()?, v["state"].as_str()?, checks)
        }
        Provider::GitLab => {
            let pipeline = v["head_pipeline"]["status"].as_str().or(v["pipeline"]["status"].as_str());
            let checks = pipeline.map(|s| match s {
                "success" => "passing",
                "failed" | "canceled" => "failing",
                _ => "pending",
            });
            (v["web_url"].as_str()?, v["iid"].as_i64()?, v["state"].as_str()?, checks.map(str::to_string))
        }
    };
    let state = match state.to_ascii_lowercase().as_str() {
        "open" | "opened" => "open",
        "merged" => "merged",
        _ => "closed",
    };
    Some(PrInfo { provider, url: url.to_string(), number, state: state.into(), checks })
}

/// Sums GitHub's check runs and status contexts up: any failure fails, anything unfinished is pending.
fn github_checks(items: &[Value]) -> Option<String> {
    if items.is_empty() {
        return None;
    }
    let mut pending = false;
    for c in items {
        let conclusion = c["conclusion"].as_str().or(c["state"].as_str()).unwrap_or_default().to_ascii_uppercase();
        match conclusion.as_str() {
            "FAILURE" | "ERROR" | "CANCELLED" | "TIMED_OUT" | "ACTION_REQUIRED" | "STARTUP_FAILURE" => {
                return Some("failing".into());
            }
            "SUCCESS" | "NEUTRAL" | "SKIPPED" => {}
            _ => pending = true,
        }
    }
    Some(if pending { "pending" } else { "passing" }.into())
}

/// Runs `cmd` (stdin closed) and kills it after `deadline`.
pub(crate) fn output_within(cmd: &mut Command, deadline: Duration) -> Result<Output, GitError> {
    let mut child =
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(GitError::Spawn)?;
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
    let err = drain(child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
    let started = Instant::now();
    let status = loop {
        match child.try_wait().map_err(GitError::Spawn)? {
            Some(s) => break s,
            None if started.elapsed() < deadline => std::thread::sleep(Duration::from_millis(20)),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(GitError::Io(format!("gave up after {} s (network?)", deadline.as_secs())));
            }
        }
    };
    Ok(Output { status, stdout: out.join().unwrap_or_default(), stderr: err.join().unwrap_or_default() })
}

pub(crate) fn text(b: &[u8]) -> String {
    cap(String::from_utf8_lossy(b).trim())
}

/// stdout and stderr together (hooks print to either), trimmed.
pub(crate) fn both(out: &Output) -> String {
    let mut s = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let e = String::from_utf8_lossy(&out.stderr);
    if !e.trim().is_empty() {
        if !s.is_empty() {
            s.push('\n');
        }
        s.push_str(e.trim());
    }
    cap(&s)
}

fn cap(s: &str) -> String {
    if s.len() <= MAX_MESSAGE {
        return s.to_string();
    }
    let mut end = MAX_MESSAGE;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n…", &s[..end])
}

/// Drops credentials from URLs in git's messages (`https://user:token@host` → `https://***@host`).
pub fn scrub(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("://") {
        out.push_str(&rest[..i + 3]);
        rest = &rest[i + 3..];
        let end = rest.find(|c: char| c == '/' || c.is_whitespace()).unwrap_or(rest.len());
        if let Some(at) = rest[..end].rfind('@') {
            out.push_str("***");
            rest = &rest[at..];
        }
    }
    out.push_str(rest);
    out
}

/// A command line as the user would type it (for `GitCommands`).
pub fn shell_line(args: &[&str]) -> String {
    args.iter()
        .map(|a| {
            if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c)) {
                a.to_string()
            } else if a.starts_with('<') && a.ends_with('>') {
                format!("\"{a}\"")
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_both_providers() {
        let gh = json!({"url": "https://github.com/a/b/pull/7", "number": 7, "state": "OPEN",
            "statusCheckRollup": [{"status": "COMPLETED", "conclusion": "SUCCESS"}, {"state": "PENDING"}]});
        let pr = parse_pr(Provider::GitHub, &gh);
        assert_eq!(
            pr.as_ref().map(|p| (p.number, p.state.as_str(), p.checks.as_deref())),
            Some((7, "open", Some("pending")))
        );
        let gl = json!({"web_url": "https://gitlab.com/a/b/-/merge_requests/3", "iid": 3, "state": "merged",
            "head_pipeline": {"status": "failed"}});
        let pr = parse_pr(Provider::GitLab, &gl);
        assert_eq!(pr.map(|p| (p.number, p.state, p.checks)), Some((3, "merged".into(), Some("failing".into()))));
        assert_eq!(parse_pr(Provider::GitHub, &json!({"number": 1})), None);
    }

    #[test]
    fn tokens_never_leave_in_messages() {
        assert_eq!(
            scrub("fatal: unable to access 'https://me:ghp_x@github.com/a/b.git/': denied"),
            "fatal: unable to access 'https://***@github.com/a/b.git/': denied"
        );
        assert_eq!(scrub("To /tmp/bare.git"), "To /tmp/bare.git");
    }

    #[test]
    fn command_lines_are_quoted_like_a_shell() {
        assert_eq!(shell_line(&["git", "commit", "-m", "<message>"]), "git commit -m \"<message>\"");
        assert_eq!(shell_line(&["gh", "--title", "it's"]), r"gh --title 'it'\''s'");
    }
}
