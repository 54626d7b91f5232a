//! Review comments on a run's change (`/api/runs/{id}/comments`): per file and line, with the line's text as it
//! was, so a comment whose line later changed is shown as outdated at its old place; batched into a follow-up
//! prompt ("Send to agent"). Comments are shared by every run of one worktree (a follow-up still shows them).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

/// Which side of the diff a comment is on: `new` (the worktree) or `old` (the merge-base).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommentSide {
    Old,
    New,
}

impl CommentSide {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Old => "old",
            Self::New => "new",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Old, Self::New].into_iter().find(|x| x.as_str() == s)
    }
}

/// A review comment as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct ReviewComment {
    pub id: Uuid,
    /// The run it was made on (listed for every run of the same worktree).
    pub run_id: Uuid,
    /// The file as the diff lists it.
    pub path: String,
    pub side: CommentSide,
    /// 1-based line on `side` when the comment was made (where it stays shown).
    pub line: i32,
    /// That line's text then (without its line ending).
    pub line_text: String,
    pub body: String,
    pub resolved: bool,
    /// The follow-up run the comment was sent to the agent in, if any.
    pub sent_in_run: Option<Uuid>,
    /// The file no longer holds `line_text` at `line` (computed on every read).
    pub outdated: bool,
    /// Where `line_text` is now: `line` when unchanged, the nearest line holding the same text when it moved, null
    /// when it is gone.
    pub current_line: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `POST /api/runs/{id}/comments`.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    /// A file of the run's diff (as listed), or any file in the worktree.
    pub path: String,
    pub side: CommentSide,
    /// 1-based, within the file's `side`.
    pub line: i64,
    /// 1 to 10,000 characters.
    pub body: String,
}

/// `PATCH /api/comments/{id}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateComment {
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<bool>,
}

/// `POST /api/runs/{id}/comments/prompt`: which comments to turn into a prompt (default: the unresolved ones not
/// sent yet).
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentPromptRequest {
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<Uuid>>,
}

/// The follow-up prompt built from comments (the UI shows it editable before sending).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct CommentPrompt {
    pub prompt: String,
    /// The comments it covers, in the prompt's order.
    pub ids: Vec<Uuid>,
}

/// `POST /api/runs/{id}/comments/send`: starts a follow-up run with `prompt` and records it on the comments.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendComments {
    pub prompt: String,
    /// At least one comment of this worktree.
    pub ids: Vec<Uuid>,
    /// Defaults to the agent of the run followed up.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
}

/// Longest quoted line in a prompt (a minified file's line is not pasted whole).
const QUOTE_MAX_CHARS: usize = 300;

/// The follow-up prompt for `comments`: grouped by file (paths in byte order), by side and line within a file,
/// each with its line number and the line's text quoted, then the comment; ending with what to do.
pub fn comments_prompt(comments: &[ReviewComment]) -> String {
    let mut sorted: Vec<&ReviewComment> = comments.iter().collect();
    sorted.sort_by(|a, b| (&a.path, a.side, a.line, a.created_at).cmp(&(&b.path, b.side, b.line, b.created_at)));
    let mut out = String::from("Please address these review comments on your changes.\n");
    let mut file: Option<&str> = None;
    for c in sorted {
        if file != Some(c.path.as_str()) {
            out.push_str(&format!("\n## {}\n", c.path));
            file = Some(c.path.as_str());
        }
        let mut what = format!("Line {}", c.line);
        if c.side == CommentSide::Old {
            what.push_str(" (old side: the line as it was before your change)");
        }
        if c.outdated {
            what.push_str(" (this line has changed since the comment)");
        }
        let mut quote: String = c.line_text.trim_end().chars().take(QUOTE_MAX_CHARS).collect();
        if c.line_text.trim_end().chars().count() > QUOTE_MAX_CHARS {
            quote.push('…');
        }
        out.push_str(&format!("\n{what}:\n> {quote}\n{}\n", c.body.trim()));
    }
    out.push_str(
        "\nChange the code as these comments ask, keep the rest of your work as it is, and then summarise what you \
         did for each comment.",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(path: &str, side: CommentSide, line: i32, text: &str, body: &str) -> ReviewComment {
        ReviewComment {
            id: Uuid::nil(),
            run_id: Uuid::nil(),
            path: path.into(),
            side,
            line,
            line_text: text.into(),
            body: body.into(),
            resolved: false,
            sent_in_run: None,
            outdated: false,
            current_line: Some(line),
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            updated_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn the_prompt_groups_by_file_and_quotes_each_line() {
        let mut gone = comment("b.rs", CommentSide::New, 2, "x", "And this.");
        gone.outdated = true;
        let prompt = comments_prompt(&[
            comment("b.rs", CommentSide::New, 9, "    let x = 1;  ", " Rename x.\nPlease. "),
            comment("a.rs", CommentSide::Old, 3, "fn old()", "Why removed?"),
            gone,
        ]);
        assert_eq!(
            prompt,
            "Please address these review comments on your changes.\n\n## a.rs\n\nLine 3 (old side: the line as it \
             was before your change):\n> fn old()\nWhy removed?\n\n## b.rs\n\nLine 2 (this line has changed since \
             the comment):\n> x\nAnd this.\n\nLine 9:\n>     let x = 1;\nRename x.\nPlease.\n\nChange the code as \
             these comments ask, keep the rest of your work as it is, and then summarise what you did for each \
             comment."
        );
        let long = comments_prompt(&[comment("a", CommentSide::New, 1, &"y".repeat(400), "b")]);
        assert!(long.contains(&format!("> {}…\n", "y".repeat(300))), "{long}");
    }
}
