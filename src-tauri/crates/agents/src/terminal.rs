//! The server-side terminal of a run: a vt100 emulator that tracks the screen, so a viewer attaching late gets the
//! current screen at once and the card can show the last lines, and that answers the queries full-screen TUIs send
//! at start (device attributes, cursor position, colours) — they hang until answered, viewer or not.

use vt100::{Callbacks, Parser, Screen};

/// No scrollback: history is the transcript's job; the emulator only needs the visible screen.
const SCROLLBACK: usize = 0;

/// Collects the replies the agent's queries need; the caller writes them to the PTY.
#[derive(Default)]
struct Replies {
    out: Vec<u8>,
}

impl Callbacks for Replies {
    fn unhandled_csi(&mut self, screen: &mut Screen, i1: Option<u8>, _i2: Option<u8>, params: &[&[u16]], c: char) {
        let first = params.first().and_then(|p| p.first()).copied().unwrap_or(0);
        match (i1, c, first) {
            // Primary device attributes: a VT220 with ANSI colour, as xterm-compatible terminals answer.
            (None, 'c', 0) => self.out.extend_from_slice(b"\x1b[?62;22c"),
            // Secondary device attributes.
            (Some(b'>'), 'c', _) => self.out.extend_from_slice(b"\x1b[>1;10;0c"),
            (None, 'n', 5) => self.out.extend_from_slice(b"\x1b[0n"),
            (None, 'n', 6) => {
                let (row, col) = screen.cursor_position();
                self.out.extend_from_slice(format!("\x1b[{};{}R", row + 1, col + 1).as_bytes());
            }
            (Some(b'?'), 'n', 6) => {
                let (row, col) = screen.cursor_position();
                self.out.extend_from_slice(format!("\x1b[?{};{}R", row + 1, col + 1).as_bytes());
            }
            // Text area size in characters.
            (None, 't', 18) => {
                let (rows, cols) = screen.size();
                self.out.extend_from_slice(format!("\x1b[8;{rows};{cols}t").as_bytes());
            }
            // Kitty keyboard protocol query: answer "no flags" so the agent falls back to legacy keys.
            (Some(b'?'), 'u', _) => self.out.extend_from_slice(b"\x1b[?0u"),
            _ => {}
        }
    }

    fn unhandled_osc(&mut self, _screen: &mut Screen, params: &[&[u8]]) {
        // OSC 10/11/12 with "?" asks for the foreground, background and cursor colours.
        if params.get(1) != Some(&&b"?"[..]) {
            return;
        }
        let colour: &[u8] = match params.first() {
            Some(&b"10") | Some(&b"12") => b"rgb:e6e6/e6e6/e6e6",
            Some(&b"11") => b"rgb:1414/1616/1a1a",
            _ => return,
        };
        self.out.extend_from_slice(b"\x1b]");
        self.out.extend_from_slice(params[0]);
        self.out.push(b';');
        self.out.extend_from_slice(colour);
        self.out.extend_from_slice(b"\x1b\\");
    }
}

/// The emulator plus how many output bytes it has seen.
pub struct Terminal {
    parser: Parser<Replies>,
    offset: u64,
}

impl std::fmt::Debug for Terminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Terminal").field("offset", &self.offset).finish_non_exhaustive()
    }
}

/// A screen as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenText {
    pub cols: u16,
    pub rows: u16,
    pub lines: Vec<String>,
    pub cursor: (u16, u16),
    pub offset: u64,
}

fn nonzero(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n).unwrap_or(std::num::NonZeroU16::MIN)
}

impl Terminal {
    pub fn new(cols: u16, rows: u16) -> Self {
        Self {
            parser: Parser::new_with_callbacks(nonzero(rows), nonzero(cols), SCROLLBACK, Replies::default()),
            offset: 0,
        }
    }

    /// Feeds output; returns the bytes to write back to the agent (answers to its queries), if any.
    pub fn process(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.parser.process(bytes);
        self.offset += bytes.len() as u64;
        std::mem::take(&mut self.parser.callbacks_mut().out)
    }

    /// Output that was not emulated (skipped under a flood) still counts for offsets. What follows a gap may
    /// start inside an escape sequence: CAN aborts whatever sequence was half-parsed, so the tail of one is never
    /// read as a new one (and answered as a query).
    pub fn skip(&mut self, n: u64) {
        if n > 0 {
            self.parser.process(b"\x18");
            self.parser.callbacks_mut().out.clear();
            self.offset += n;
        }
    }

    /// Output bytes processed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.parser.set_size(nonzero(rows), nonzero(cols));
    }

    pub fn size(&self) -> (u16, u16) {
        let (rows, cols) = self.parser.screen().size();
        (cols.get(), rows.get())
    }

    /// Escape sequences that redraw the current screen (modes, contents, cursor) on a freshly reset terminal.
    pub fn redraw(&self) -> String {
        let screen = self.parser.screen();
        let mut out = String::new();
        if screen.alternate_screen() {
            out.push_str("\x1b[?1049h");
        }
        out.push_str(&screen.state_formatted());
        out
    }

    pub fn text(&self) -> ScreenText {
        let screen = self.parser.screen();
        let (rows, cols) = screen.size();
        let lines = screen.rows(0, cols.get()).map(|l| l.trim_end().to_string()).collect();
        ScreenText { cols: cols.get(), rows: rows.get(), lines, cursor: screen.cursor_position(), offset: self.offset }
    }

    /// The last `n` non-blank lines, top to bottom.
    pub fn last_lines(&self, n: usize) -> Vec<String> {
        let mut lines: Vec<String> = self.text().lines.into_iter().filter(|l| !l.trim().is_empty()).collect();
        let keep = lines.len().saturating_sub(n);
        lines.drain(..keep);
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_cursor_position_and_device_attributes() {
        let mut t = Terminal::new(80, 24);
        let replies = t.process(b"hello\r\nab\x1b[6n\x1b[c");
        assert_eq!(String::from_utf8_lossy(&replies), "\x1b[2;3R\x1b[?62;22c");
    }

    #[test]
    fn a_query_split_across_reads_is_still_answered() {
        let mut t = Terminal::new(80, 24);
        assert!(t.process(b"\x1b[").is_empty());
        assert_eq!(t.process(b"6n"), b"\x1b[1;1R");
    }

    #[test]
    fn answers_colour_queries_and_ignores_colour_changes() {
        let mut t = Terminal::new(80, 24);
        let r = t.process(b"\x1b]11;?\x07");
        assert_eq!(r, b"\x1b]11;rgb:1414/1616/1a1a\x1b\\");
        assert!(t.process(b"\x1b]11;#000000\x07").is_empty());
    }

    #[test]
    fn tracks_the_screen_and_redraws_it() {
        let mut t = Terminal::new(20, 5);
        t.process(b"\x1b[31mred\x1b[0m line\r\nsecond\r\n\r\n");
        assert_eq!(t.last_lines(3), vec!["red line".to_string(), "second".to_string()]);
        let mut copy = Terminal::new(20, 5);
        copy.process(t.redraw().as_bytes());
        assert_eq!(copy.text().lines, t.text().lines);
        assert_eq!(copy.text().cursor, t.text().cursor);
        assert_eq!(t.offset(), 29);
    }

    #[test]
    fn a_gap_never_turns_the_tail_of_a_sequence_into_a_query() {
        let mut t = Terminal::new(40, 10);
        t.process(b"text \x1b[2m0123456789ab");
        t.process(b"\x1b[");
        t.skip(100);
        // Without the reset this would read as `ESC [ c`: a device-attributes query.
        assert!(t.process(b"cdef\x1b[0m\r\n").is_empty());
        assert_eq!(t.offset(), 5 + 14 + 2 + 100 + 12);
    }

    #[test]
    fn invalid_utf8_and_escape_floods_do_not_break_it() {
        let mut t = Terminal::new(40, 10);
        let mut junk = vec![0xff, 0xfe, 0xc3];
        junk.extend(std::iter::repeat_n(b"\x1b[999;999H\x1b[38;5;300m\x1b]", 1000).flatten());
        t.process(&junk);
        t.process(b"\x07\x1b\\\x1b[Hok");
        assert!(t.text().lines[0].starts_with("ok"));
    }
}
