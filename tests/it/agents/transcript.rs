//! The transcript module (`viban_agents::transcript`) on the real store: every stop rule of its one reader, a
//! failing write retried, and the setup script's output surviving a failed write.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::StatusCode;
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use viban_agents::transcript::{ReadError, StoreTrouble, Transcript, TranscriptReader};
use viban_core::RunKind;
use viban_db::{Db, DbError, NewRun};

use super::Fixture;

#[derive(Default)]
struct Counted {
    paused: AtomicUsize,
    resumed: AtomicUsize,
}

impl StoreTrouble for Counted {
    fn paused(&self, _run: Uuid, _error: &DbError) {
        self.paused.fetch_add(1, Ordering::SeqCst);
    }
    fn resumed(&self, _run: Uuid) {
        self.resumed.fetch_add(1, Ordering::SeqCst);
    }
}

/// A run row (no process) to hang a transcript on.
async fn run_row(f: &Fixture) -> anyhow::Result<(Db, Uuid)> {
    let task: Uuid = f.task("transcript").await?.parse()?;
    let db = f.app.app.db().clone();
    let id = Uuid::new_v4();
    db.insert_run(&NewRun {
        id,
        task_id: task,
        project_id: f.project.parse()?,
        agent: "none".into(),
        kind: RunKind::Agent,
        runtime: viban_core::RuntimeKind::Local,
        prompt: String::new(),
        follow_up_of: None,
        worktree_path: format!("/nonexistent/viban-test/{id}"),
        branch: format!("viban/test-{id}"),
        base_ref: "main".into(),
        base_commit: "0".repeat(40),
        cols: 80,
        rows: 24,
        warnings: vec![],
    })
    .await?;
    Ok((db, id))
}

fn transcript(db: &Db, id: Uuid, trouble: Arc<Counted>) -> Transcript {
    Transcript::new(id, db.clone(), Instant::now(), trouble, CancellationToken::new())
}

/// Writes `pieces` one after another from the transcript's end; returns everything written.
async fn write_all(t: &Transcript, pieces: &[&[u8]]) -> anyhow::Result<Vec<u8>> {
    let mut all = Vec::new();
    for p in pieces {
        t.write(t.end(), Instant::now(), Bytes::copy_from_slice(p)).await?;
        all.extend_from_slice(p);
    }
    Ok(all)
}

async fn read_to_end(mut r: TranscriptReader) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    let read = async {
        while let Some(c) = r.next().await? {
            anyhow::ensure!(c.offset == r.position() - c.data.len() as u64, "a piece out of order");
            out.extend_from_slice(&c.data);
        }
        Ok(())
    };
    tokio::time::timeout(Duration::from_secs(20), read).await??;
    Ok(out)
}

#[tokio::test]
async fn a_finished_transcript_reads_from_any_offset_and_ends_at_its_end() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let (db, id) = run_row(&f).await?;
    let t = transcript(&db, id, Arc::default());
    // "é" is 0xC3 0xA9: the boundary between the first two chunks cuts it in two.
    let all = write_all(&t, &[b"caf\xc3", b"\xa9 au lait\r\n", b"\x1b[1mbold\x1b[0m\r\n"]).await?;
    t.close();
    let end = db.stored_end(id).await?;
    assert_eq!(end, all.len() as u64);
    for from in [0, 3, 4, 5, end - 1, end] {
        let r = TranscriptReader::snapshot(db.clone(), id, from, end)?;
        assert_eq!(read_to_end(r).await?, all[from as usize..], "from {from}");
    }
    assert!(matches!(TranscriptReader::snapshot(db.clone(), id, end + 1, end), Err(ReadError::PastEnd { .. })));
    // A live transcript's snapshot ends at what was stored when it was taken.
    let t2 = transcript(&db, id, Arc::default());
    t2.write(end, Instant::now(), Bytes::from_static(b"more")).await?;
    let snap = t2.snapshot(0)?;
    t2.write(end + 4, Instant::now(), Bytes::from_static(b" and more")).await?;
    assert_eq!(read_to_end(snap).await?, [&all[..], b"more"].concat());
    f.app.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_live_reader_reads_the_store_then_the_ring_catches_up_after_lagging_and_ends_when_closed()
-> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let (db, id) = run_row(&f).await?;
    let t = Arc::new(transcript(&db, id, Arc::default()));
    let mut all = write_all(&t, &[b"one\r\n", b"two\r\n"]).await?;

    // Offset only in the store, on a run printing nothing more: the stored part comes at once.
    let mut idle = t.follow(0, t.end())?;
    let first = tokio::time::timeout(Duration::from_secs(5), idle.next()).await??;
    assert_eq!(first.map(|c| c.offset), Some(0));
    // An offset inside the last chunk, and one past everything read so far.
    let mid = t.follow(7, t.end())?;
    assert!(matches!(t.follow(t.end() + 1, t.end()), Err(ReadError::PastEnd { .. })));

    // A reader that does not read while far more than the ring holds is written lags, then catches up.
    let lagging = t.follow(0, t.end())?;
    let mut flood = Vec::new();
    for i in 0..200 {
        flood.push(format!("line {i} {}\r\n", "x".repeat(i % 50)).into_bytes());
    }
    for line in &flood {
        t.write(t.end(), Instant::now(), Bytes::copy_from_slice(line)).await?;
        all.extend_from_slice(line);
    }
    let closer = {
        let t = t.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            t.write(t.end(), Instant::now(), Bytes::from_static(b"last\r\n")).await?;
            t.close();
            Ok::<_, anyhow::Error>(())
        })
    };
    let (lagged, mid, idle_rest) = tokio::join!(read_to_end(lagging), read_to_end(mid), read_to_end(idle));
    closer.await??;
    all.extend_from_slice(b"last\r\n");
    assert_eq!(lagged?, all);
    assert_eq!(mid?, all[7..]);
    assert_eq!(idle_rest?, all[5..]);
    // After the close a reader is a finished run's: it ends after the last stored byte.
    assert_eq!(read_to_end(t.follow(0, t.end())?).await?, all);
    f.app.stop().await;
    Ok(())
}

/// The next `n` chunk inserts (of any run) fail as a full disk would; the sequence is not rolled back with them.
async fn fail_next_inserts(db: &Db, n: i64) -> anyhow::Result<()> {
    for sql in [
        "CREATE SEQUENCE test_fail_seq".to_string(),
        format!(
            "CREATE FUNCTION test_fail_chunks() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF nextval('test_fail_seq') <= {n} THEN RAISE EXCEPTION 'simulated full disk' USING ERRCODE = 'disk_full'; \
             END IF; RETURN NEW; END $$"
        ),
        "CREATE TRIGGER test_fail_chunks BEFORE INSERT ON run_chunks FOR EACH ROW EXECUTE FUNCTION test_fail_chunks()"
            .to_string(),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(db.pool()).await?;
    }
    Ok(())
}

#[tokio::test]
async fn a_failed_write_is_retried_reported_once_and_nothing_is_lost() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let (db, id) = run_row(&f).await?;
    let trouble = Arc::new(Counted::default());
    let t = transcript(&db, id, trouble.clone());
    let mut all = write_all(&t, &[b"before\r\n"]).await?;
    fail_next_inserts(&db, 2).await?;
    all.extend(write_all(&t, &[b"during\r\n", b"after\r\n"]).await?);
    assert_eq!((trouble.paused.load(Ordering::SeqCst), trouble.resumed.load(Ordering::SeqCst)), (1, 1));
    t.close();
    let end = db.stored_end(id).await?;
    assert_eq!(read_to_end(TranscriptReader::snapshot(db.clone(), id, 0, end)?).await?, all);
    f.app.stop().await;
    Ok(())
}

#[tokio::test]
async fn the_setup_scripts_output_survives_a_failed_write_with_no_hole() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let r = f
        .app
        .patch(&format!("/api/projects/{}", f.project), json!({"setup_script": "echo setup says hi; echo second line"}))
        .await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    // The run's first write is the setup script's header line.
    fail_next_inserts(f.app.app.db(), 1).await?;
    let run = f.run("fail", "go").await?;
    let id = run["id"].as_str().unwrap_or_default().to_string();
    f.wait_status(&id, "failed", Duration::from_secs(60)).await?;
    let (bytes, exit) = f.transcript(&id).await?;
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("setup script") && text.contains("setup says hi") && text.contains("second line"), "{text}");
    assert_eq!(exit["status"], "failed");

    // A viewer asking for an offset past the end, or a negative one, is refused before the upgrade.
    for (from, code) in [(format!("{}", bytes.len() + 1), "offset_past_end"), ("-1".to_string(), "bad_query")] {
        let mut req = format!("ws://{}/api/runs/{id}/pty?from={from}", f.app.app.addr).into_client_request()?;
        req.headers_mut().insert("Authorization", format!("Bearer {}", f.app.app.token).parse()?);
        match tokio_tungstenite::connect_async(req).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
                let body = String::from_utf8_lossy(res.body().as_deref().unwrap_or_default()).to_string();
                assert_eq!(res.status().as_u16(), 400, "from={from}: {body}");
                assert!(body.contains(code), "from={from}: {body}");
            }
            other => anyhow::bail!("from={from}: expected a 400, got {:?}", other.map(|_| "an open socket")),
        }
    }
    let (again, _) = f.transcript(&id).await?;
    assert_eq!(again, bytes);
    Ok(())
}

#[tokio::test]
async fn a_viewer_is_told_while_the_store_refuses_output_and_gets_every_byte_after() -> anyhow::Result<()> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let f = Fixture::start("").await?;
    let run = f.run("ask", "go").await?;
    let id = run["id"].as_str().unwrap_or_default().to_string();
    f.wait_screen(&id, "Proceed?").await?;
    let mut ws = f.viewer(&id, Some(0)).await?;
    fail_next_inserts(f.app.app.db(), 3).await?;
    let r = f.app.post(&format!("/api/runs/{id}/input"), json!({"data": "yes\r"})).await?;
    assert!(r.status.is_success(), "{r:?}");
    let (mut notices, mut bytes) = (Vec::new(), Vec::new());
    let read = async {
        while let Some(msg) = ws.next().await {
            match msg? {
                Message::Text(t) => {
                    let v: serde_json::Value = serde_json::from_str(&t)?;
                    match v["type"].as_str() {
                        Some("store") => {
                            notices.push((v["paused"].as_bool(), v["message"].as_str().map(str::to_string)))
                        }
                        Some("exit") => return Ok(()),
                        _ => {}
                    }
                }
                Message::Binary(b) => bytes.extend_from_slice(super::split_frame(&b)?.1),
                _ => {}
            }
        }
        anyhow::bail!("the socket closed without an exit frame")
    };
    tokio::time::timeout(Duration::from_secs(60), read).await??;
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert_eq!(notices[0].0, Some(true));
    assert!(
        notices[0].1.as_deref().is_some_and(|m| m.contains("disk is full") && m.contains("nothing is lost")),
        "{notices:?}"
    );
    assert_eq!(notices[1], (Some(false), None));
    assert!(String::from_utf8_lossy(&bytes).contains("you said: yes"));
    Ok(())
}
