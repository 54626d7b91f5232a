//! asciicast v2 (what `asciinema play` reads): a JSON header line, then one `[seconds, "o", text]` line per
//! stored chunk. Bytes that are not UTF-8 are carried across chunk boundaries, so a character split between two
//! reads is not mangled.

/// The header line (with its newline).
pub fn header(cols: i32, rows: i32, timestamp: i64, title: &str) -> String {
    let h = serde_json::json!({
        "version": 2,
        "width": cols,
        "height": rows,
        "timestamp": timestamp,
        "title": title,
        "env": { "TERM": "xterm-256color" },
    });
    format!("{h}\n")
}

/// Turns chunks into event lines, keeping an incomplete UTF-8 tail for the next chunk.
#[derive(Debug, Default)]
pub struct EventWriter {
    pending: Vec<u8>,
}

impl EventWriter {
    pub fn event(&mut self, at_ms: i64, data: &[u8]) -> String {
        self.pending.extend_from_slice(data);
        let valid_up_to = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            // An incomplete sequence at the end waits for the next chunk; invalid bytes elsewhere become U+FFFD.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => self.pending.len(),
        };
        let rest = self.pending.split_off(valid_up_to);
        let text = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending = rest;
        if text.is_empty() {
            return String::new();
        }
        let line = serde_json::json!([at_ms as f64 / 1000.0, "o", text]);
        format!("{line}\n")
    }

    /// Whatever is left at the end (an incomplete character), as replacement characters.
    pub fn finish(&mut self, at_ms: i64) -> String {
        if self.pending.is_empty() {
            return String::new();
        }
        let text = String::from_utf8_lossy(&std::mem::take(&mut self.pending)).into_owned();
        format!("{}\n", serde_json::json!([at_ms as f64 / 1000.0, "o", text]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_characters_are_joined_and_invalid_bytes_replaced() {
        let mut w = EventWriter::default();
        let snow = "☃".as_bytes();
        assert_eq!(w.event(0, &[b'a', snow[0]]), "[0.0,\"o\",\"a\"]\n");
        assert_eq!(w.event(1500, &snow[1..]), "[1.5,\"o\",\"☃\"]\n");
        assert_eq!(w.event(2000, b"\xff\x1b[0m"), "[2.0,\"o\",\"\u{fffd}\\u001b[0m\"]\n");
        assert_eq!(w.finish(3000), "");
    }

    #[test]
    fn header_is_asciicast_v2() -> anyhow::Result<()> {
        let h: serde_json::Value = serde_json::from_str(header(80, 24, 1_700_000_000, "t").trim())?;
        assert_eq!(h["version"], 2);
        assert_eq!(h["width"], 80);
        Ok(())
    }
}
