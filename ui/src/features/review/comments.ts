// Review comments (pure): where each comment of a file is drawn in the diff viewer, how outdated ones are kept at
// their old place with the line they were made on, counts, and the Send-to-agent dialog's state.
//
// A comment's `side` says which text `line` counts in ("new": the worktree's file, "old": the merge-base's);
// `line_text` is the commented line as it was; `outdated` is the server's verdict (that line changed since);
// `current_line` is where the server finds that text now (null when it is gone).
import type { CommentSide, ReviewComment } from '../../api/generated/types';

export type { CommentPrompt, CommentSide, NewComment, ReviewComment } from '../../api/generated/types';

/** The viewer's side names for ours. */
export const viewerSide = (side: CommentSide): 'additions' | 'deletions' => (side === 'old' ? 'deletions' : 'additions');
export const commentSide = (side: 'additions' | 'deletions' | undefined): CommentSide => (side === 'deletions' ? 'old' : 'new');

/** The comments drawn at one line of one side, with whether that place is their old one (outdated). */
export type CommentAnnotation = {
  side: 'additions' | 'deletions';
  lineNumber: number;
  metadata: { comments: ReviewComment[] };
};

/**
 * The line a comment is drawn at: where it was made while that line is unchanged, or where the same text moved to;
 * an outdated comment (its text changed or is gone) stays at its old place.
 */
export function placedLine(c: ReviewComment): number {
  if (!c.outdated && c.current_line !== null && c.current_line > 0) return c.current_line;
  return Math.max(1, c.line);
}

/**
 * The annotations for one file: every comment of `path` (resolved ones too, unless `hideResolved`), grouped per
 * side and line, in line order. Outdated comments are never dropped: they are drawn at their old line.
 */
export function placeComments(comments: readonly ReviewComment[], path: string, hideResolved = false): CommentAnnotation[] {
  const groups = new Map<string, CommentAnnotation>();
  for (const c of comments) {
    if (c.path !== path || (hideResolved && c.resolved)) continue;
    const side = viewerSide(c.side);
    const lineNumber = placedLine(c);
    const key = `${side}:${lineNumber}`;
    const g = groups.get(key);
    if (g) g.metadata.comments.push(c);
    else groups.set(key, { side, lineNumber, metadata: { comments: [c] } });
  }
  for (const g of groups.values()) g.metadata.comments.sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
  return [...groups.values()].sort((a, b) => a.lineNumber - b.lineNumber || (a.side < b.side ? -1 : 1));
}

/** "line 4" on the side the comment was made, for labels. */
export function lineLabel(c: Pick<ReviewComment, 'line' | 'side'>): string {
  return c.side === 'old' ? `line ${c.line} (old)` : `line ${c.line}`;
}

export type CommentCounts = { total: number; unresolved: number; outdated: number };

export function countComments(comments: readonly ReviewComment[], path?: string): CommentCounts {
  let total = 0;
  let unresolved = 0;
  let outdated = 0;
  for (const c of comments) {
    if (path !== undefined && c.path !== path) continue;
    total++;
    if (!c.resolved) unresolved++;
    if (c.outdated) outdated++;
  }
  return { total, unresolved, outdated };
}

/**
 * A selection in the viewer as the place to comment on: the server stores one line per comment, so a range is
 * commented at its last line (where the viewer draws the box), and `lines` says how many were selected.
 */
export function selectionToDraft(
  range: { start: number; end: number; side?: 'additions' | 'deletions'; endSide?: 'additions' | 'deletions' } | null,
): { side: CommentSide; line: number; lines: number } | null {
  if (!range) return null;
  const side = commentSide(range.endSide ?? range.side);
  const first = Math.min(range.start, range.end);
  const last = Math.max(range.start, range.end);
  if (first < 1) return null;
  return { side, line: last, lines: last - first + 1 };
}

/** Adds or replaces one comment (live events, edits), keeping order by creation. */
export function upsertComment(list: readonly ReviewComment[], c: ReviewComment): ReviewComment[] {
  const next = list.filter((x) => x.id !== c.id);
  next.push(c);
  return next.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------------------------
// Send to agent: the dialog's state

export type SendState =
  | { step: 'closed' }
  | { step: 'loading' }
  | { step: 'editing'; prompt: string; original: string; ids: string[]; error: string | null }
  | { step: 'starting'; prompt: string; original: string; ids: string[] }
  | { step: 'failed'; error: string };

export type SendAction =
  | { type: 'open' }
  | { type: 'loaded'; prompt: string; ids: string[] }
  | { type: 'load-failed'; error: string }
  | { type: 'edit'; prompt: string }
  | { type: 'reset' }
  | { type: 'start' }
  | { type: 'start-failed'; error: string }
  | { type: 'started' }
  | { type: 'close' };

export function sendReducer(state: SendState, action: SendAction): SendState {
  switch (action.type) {
    case 'open':
      return state.step === 'closed' || state.step === 'failed' ? { step: 'loading' } : state;
    case 'loaded':
      return state.step === 'loading' ? { step: 'editing', prompt: action.prompt, original: action.prompt, ids: action.ids, error: null } : state;
    case 'load-failed':
      return state.step === 'loading' ? { step: 'failed', error: action.error } : state;
    case 'edit':
      return state.step === 'editing' ? { ...state, prompt: action.prompt } : state;
    case 'reset':
      return state.step === 'editing' ? { ...state, prompt: state.original } : state;
    case 'start':
      return state.step === 'editing' && state.prompt.trim() !== '' ? { step: 'starting', prompt: state.prompt, original: state.original, ids: state.ids } : state;
    case 'start-failed':
      return state.step === 'starting' ? { step: 'editing', prompt: state.prompt, original: state.original, ids: state.ids, error: action.error } : state;
    case 'started':
    case 'close':
      return state.step === 'starting' && action.type === 'close' ? state : { step: 'closed' };
  }
}

/** Unresolved comments not yet sent: what Send to agent covers by default (the server's rule too). */
export function pendingComments(comments: readonly ReviewComment[]): ReviewComment[] {
  return comments.filter((c) => !c.resolved && c.sent_in_run === null);
}
