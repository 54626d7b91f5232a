//! Changes reach WebSocket subscribers live, whoever made them (this API or another writer of the database).

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use viban_test_support::{TestApp, wait_until};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn subscribe(app: &TestApp) -> anyhow::Result<Socket> {
    let mut req = format!("ws://{}/api/events", app.app.addr).into_client_request()?;
    req.headers_mut().insert("Authorization", format!("Bearer {}", app.app.token).parse()?);
    Ok(tokio_tungstenite::connect_async(req).await?.0)
}

/// The next `change` frame (skipping resyncs), or an error after a deadline.
async fn next_change(ws: &mut Socket) -> anyhow::Result<Value> {
    let read = async {
        while let Some(msg) = ws.next().await {
            if let Message::Text(t) = msg? {
                let v: Value = serde_json::from_str(&t)?;
                if v["type"] == "change" {
                    return Ok(v);
                }
            }
        }
        anyhow::bail!("socket closed")
    };
    tokio::time::timeout(Duration::from_secs(10), read).await?
}

#[tokio::test]
async fn api_and_outside_writes_reach_subscribers_and_the_board() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let repos = tempfile::tempdir()?;
    let mut ws = subscribe(&app).await?;
    let first = ws.next().await.ok_or_else(|| anyhow::anyhow!("no hello"))??;
    assert!(first.to_text()?.contains("\"hello\""), "{first:?}");
    let second = ws.next().await.ok_or_else(|| anyhow::anyhow!("no status"))??;
    assert_eq!(second.to_text()?, r#"{"type":"status","database":"ready"}"#);

    let p = app.project(repos.path(), "live").await?;
    let ev = next_change(&mut ws).await?;
    assert_eq!(
        (ev["table"].as_str(), ev["op"].as_str(), ev["id"].as_str()),
        (Some("project"), Some("insert"), Some(p.as_str()))
    );

    let t = app.post(&format!("/api/projects/{p}/tasks"), json!({"title": "watch me"})).await?.str("id");
    let ev = next_change(&mut ws).await?;
    assert_eq!(
        (ev["table"].as_str(), ev["op"].as_str(), ev["id"].as_str()),
        (Some("task"), Some("insert"), Some(t.as_str()))
    );
    assert_eq!(ev["project_id"].as_str(), Some(p.as_str()));
    assert_eq!(app.columns(&p).await?[0].1, ["watch me"]); // warms the board cache

    // Another writer, straight into the database: the feed and the cached board follow.
    sqlx::query("UPDATE tasks SET title = 'changed outside' WHERE id = $1::uuid")
        .bind(&t)
        .execute(app.app.db().pool())
        .await?;
    let ev = next_change(&mut ws).await?;
    assert_eq!((ev["op"].as_str(), ev["id"].as_str()), (Some("update"), Some(t.as_str())));
    let board_follows = wait_until("board to show the outside write", Duration::from_secs(5), || async {
        let cols = app.columns(&p).await.ok()?;
        (cols[0].1 == ["changed outside"]).then_some(())
    });
    board_follows.await?;

    app.delete(&format!("/api/tasks/{t}")).await?;
    let ev = next_change(&mut ws).await?;
    assert_eq!(ev["op"].as_str(), Some("delete"));
    app.stop().await;
    Ok(())
}
