//! The container runtime against the local one, in the same server (issue 14): run start → first output byte, PTY
//! → store → WebSocket throughput as a ratio of local, and 16 container runs printing at once while the board is read.
//! podman with the fake agent's image (made here; see viban-test-support's `podman`).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use viban_test_support::podman::Podman;

use crate::agents::{
    MANY_AGENTS_TARGET, fake_agent, many_agents, many_agents_result, project, run_json, start_run, stream_rate, viewer,
};
use crate::process::Server;
use crate::stats::median;

const IMAGE: &str = "localhost/viban-bench/fake-agent:latest";

fn write_profiles(home: &Path, podman: &Podman, flood_mib: u64) -> Result<()> {
    let local = fake_agent().display().to_string();
    let both = |id: &str, args: &str| {
        format!(
            "[agents.{id}]\ncommand = {local:?}\nargs = [{args}]\n\n\
             [agents.ctr-{id}]\ncommand = \"/usr/local/bin/fake-agent\"\nargs = [{args}]\nruntime = \"container\"\n\
             [agents.ctr-{id}.container]\nimage = {IMAGE:?}\n"
        )
    };
    let text = [
        "[runs]\nmax_concurrent = 40\nmax_per_project = 40\n".to_string(),
        format!("[container]\nengine = {:?}\nmemory = \"1g\"\ncpus = 2.0\n", podman.wrapper().display()),
        both("hello", "\"--exit\", \"0\""),
        both("flood", &format!("\"--flood\", \"{flood_mib}\"")),
        both("burst", "\"--flood\", \"8\""),
    ]
    .join("\n");
    std::fs::create_dir_all(home.join("config"))?;
    std::fs::write(home.join("config/agents.toml"), text)?;
    Ok(())
}

/// From the start request to the first output byte on a viewer attached at once.
async fn first_byte(s: &Server, project: &str, agent: &str) -> Result<f64> {
    let t0 = Instant::now();
    let id = start_run(s, project, agent).await?;
    let mut ws = viewer(s, &id, Some(0)).await?;
    let first = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(msg) = ws.next().await {
            if let Message::Binary(b) = msg?
                && b.len() > 8
            {
                return Ok::<_, anyhow::Error>(t0.elapsed().as_secs_f64() * 1000.0);
            }
        }
        anyhow::bail!("the run ended without output")
    })
    .await??;
    // Let it finish before the next one (the container goes with the run's end).
    for _ in 0..300 {
        if !matches!(run_json(s, &id).await?["status"].as_str(), Some("queued" | "starting" | "running")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(first)
}

pub async fn measure(quick: bool, runs: usize) -> Result<Vec<(String, String, &'static str)>> {
    let podman = Podman::new()?;
    podman.agent_image(&fake_agent(), IMAGE)?;
    let flood_mib = if quick { 30 } else { 100 };
    let home = tempfile::tempdir()?;
    write_profiles(home.path(), &podman, flood_mib)?;
    let (s, _) = Server::start(home.path()).await?;
    let project = project(&s).await?;
    let mut rows = Vec::new();

    let (mut local, mut boxed) = (Vec::new(), Vec::new());
    for round in 0..runs.max(5) {
        // Alternating, so that a drift of the shared cores hits both.
        if round % 2 == 0 {
            local.push(first_byte(&s, &project, "hello").await?);
            boxed.push(first_byte(&s, &project, "ctr-hello").await?);
        } else {
            boxed.push(first_byte(&s, &project, "ctr-hello").await?);
            local.push(first_byte(&s, &project, "hello").await?);
        }
    }
    rows.push((
        "run start → first output byte: container vs local (warm image)".into(),
        format!(
            "container median {:.0} ms, local {:.0} ms: +{:.0} ms",
            median(&boxed),
            median(&local),
            median(&boxed) - median(&local)
        ),
        "≤ +500 ms",
    ));

    let mut ratios = Vec::new();
    let (mut l_rates, mut c_rates) = (Vec::new(), Vec::new());
    for round in 0..runs {
        let (l, c) = if round % 2 == 0 {
            let l = stream_rate(&s, &project, "flood").await?.0;
            (l, stream_rate(&s, &project, "ctr-flood").await?.0)
        } else {
            let c = stream_rate(&s, &project, "ctr-flood").await?.0;
            (stream_rate(&s, &project, "flood").await?.0, c)
        };
        l_rates.push(l);
        c_rates.push(c);
        ratios.push(c / l);
    }
    rows.push((
        format!("PTY → store → WebSocket, fake agent printing {flood_mib} MiB: container vs local"),
        format!(
            "container {:.0} MB/s, local {:.0} MB/s: median ratio {:.2} (rounds {})",
            median(&c_rates),
            median(&l_rates),
            median(&ratios),
            ratios.iter().map(|r| format!("{r:.2}")).collect::<Vec<_>>().join(", ")
        ),
        "≥ 0.8 of local",
    ));

    let (board, all) = many_agents(&s, &project, 16, "ctr-burst").await?;
    rows.push((
        "16 container runs printing 8 MiB each at once".into(),
        many_agents_result(&board, all),
        MANY_AGENTS_TARGET,
    ));
    s.stop().await?;
    Ok(rows)
}
