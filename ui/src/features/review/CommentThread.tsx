// One review comment as drawn in the diff (an annotation at its line) and in the outdated list: body, the line it
// was made on when outdated, Resolve/Unresolve, Edit, Delete.
import { useState, type KeyboardEvent } from 'react';
import { useSaveShortcut } from '../shortcuts/useSaveShortcut';
import { lineLabel, type ReviewComment } from './comments';

export type CommentActions = {
  onUpdate: (id: string, patch: { body?: string; resolved?: boolean }) => Promise<void>;
  onDelete: (id: string) => Promise<void>;
};

export function CommentCard({ comment, actions }: { comment: ReviewComment; actions: CommentActions }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(comment.body);
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const run = async (f: () => Promise<void>) => {
    setBusy(true);
    try {
      await f();
    } finally {
      setBusy(false);
    }
  };
  const save = () =>
    void run(async () => {
      await actions.onUpdate(comment.id, { body: text });
      setEditing(false);
    });
  const onSaveKey = useSaveShortcut<HTMLTextAreaElement>(save, { enabled: text.trim() !== '' });
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    e.stopPropagation();
    if (onSaveKey(e)) return;
    if (e.key === 'Escape') {
      e.preventDefault();
      setEditing(false);
      setText(comment.body);
    }
  };
  return (
    <div
      className={`comment${comment.resolved ? ' comment-resolved' : ''}${comment.outdated ? ' comment-outdated' : ''}`}
      data-testid="review-comment"
      data-comment-id={comment.id}
      data-outdated={comment.outdated}
      data-resolved={comment.resolved}
    >
      <div className="comment-head small">
        <span className="muted">{lineLabel(comment)}</span>
        {comment.outdated && <span className="comment-tag" title="The agent changed this line since the comment was made">outdated</span>}
        {comment.resolved && <span className="comment-tag">resolved</span>}
        {comment.sent_in_run && <span className="comment-tag">sent to the agent</span>}
      </div>
      {comment.outdated && comment.line_text !== '' && (
        <pre className="comment-line" title="The line as it was when commented">{comment.line_text}</pre>
      )}
      {editing ? (
        <textarea className="comment-input" rows={3} value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKeyDown} autoFocus data-testid="comment-edit-input" />
      ) : (
        <p className="comment-body" data-testid="comment-body">{comment.body}</p>
      )}
      <div className="comment-actions">
        {editing ? (
          <>
            <button type="button" className="button button-small button-primary" disabled={busy || !text.trim()} onClick={save} data-testid="comment-save">
              Save
            </button>
            <button type="button" className="button button-small" onClick={() => { setEditing(false); setText(comment.body); }}>
              Cancel
            </button>
          </>
        ) : confirmDelete ? (
          <>
            <button type="button" className="button button-small button-danger" disabled={busy} onClick={() => void run(() => actions.onDelete(comment.id))} data-testid="comment-delete-confirm">
              Delete this comment
            </button>
            <button type="button" className="button button-small" onClick={() => setConfirmDelete(false)}>
              Keep
            </button>
          </>
        ) : (
          <>
            <button type="button" className="button button-small" disabled={busy} onClick={() => void run(() => actions.onUpdate(comment.id, { resolved: !comment.resolved }))} data-testid="comment-resolve">
              {comment.resolved ? 'Unresolve' : 'Resolve'}
            </button>
            <button type="button" className="button button-small" disabled={busy} onClick={() => setEditing(true)} data-testid="comment-edit">
              Edit
            </button>
            <button type="button" className="button button-small" disabled={busy} onClick={() => setConfirmDelete(true)} data-testid="comment-delete">
              Delete
            </button>
          </>
        )}
      </div>
    </div>
  );
}

/** The box for a new comment on one line (after a selection in the viewer, or Add comment). */
export function CommentComposer({
  path,
  line,
  side,
  lines,
  onLine,
  onSubmit,
  onCancel,
}: {
  path: string;
  line: number;
  side: 'old' | 'new';
  lines: number;
  onLine: (line: number) => void;
  onSubmit: (body: string) => Promise<void>;
  onCancel: () => void;
}) {
  const [body, setBody] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async () => {
    if (!body.trim() || busy) return;
    setBusy(true);
    setError(null);
    try {
      await onSubmit(body);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  };
  const onSaveKey = useSaveShortcut<HTMLTextAreaElement>(() => void submit());
  return (
    <div className="comment-composer" role="group" aria-label="New comment" data-testid="comment-composer">
      <label className="small">
        Comment on {path}, line{' '}
        <input type="number" min={1} className="comment-line-input" value={line} onChange={(e) => onLine(Math.max(1, Number(e.target.value) || 1))} data-testid="comment-line" />
        {side === 'old' ? ' (old side)' : ''}
        {lines > 1 ? ` (last of ${lines} selected lines)` : ''}
      </label>
      <textarea
        className="comment-input"
        rows={3}
        value={body}
        placeholder="What should change here?"
        onChange={(e) => setBody(e.target.value)}
        onKeyDown={(e) => {
          e.stopPropagation();
          if (onSaveKey(e)) return;
          if (e.key === 'Escape') {
            e.preventDefault();
            onCancel();
          }
        }}
        autoFocus
        data-testid="comment-input"
      />
      {error && <p className="form-error small" role="alert">{error}</p>}
      <div className="comment-actions">
        <button type="button" className="button button-small button-primary" disabled={busy || !body.trim()} onClick={() => void submit()} data-testid="comment-submit">
          {busy ? 'Saving…' : 'Comment'}
        </button>
        <button type="button" className="button button-small" onClick={onCancel}>
          Cancel
        </button>
        <span className="muted small">Ctrl+Enter saves</span>
      </div>
    </div>
  );
}
