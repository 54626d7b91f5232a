import { useEffect, useId, useRef } from 'react';
import { PROFILE_FORMAT_HELP, errorPosition, offsetOf } from './agents';
import type { ProfileEditorState } from './useProfileEditor';

/** The agents.toml editor: path, format help, a monospace text area, Save (also Ctrl/Cmd+S) and the TOML error. */
export function ProfileEditor({ editor }: { editor: ProfileEditorState }) {
  const textareaId = useId();
  const textareaRef = useRef<HTMLTextAreaElement>(null);
  const errorRef = useRef<HTMLPreElement>(null);
  const { saveError } = editor;

  // Put the caret where the TOML error points, so the user sees the offending line, and keep the error in view.
  useEffect(() => {
    if (!saveError) return;
    const el = textareaRef.current;
    const at = saveError.code === 'invalid_profile' ? errorPosition(saveError.message) : null;
    if (el && at) {
      const offset = offsetOf(el.value, at.line, at.column);
      el.focus();
      el.setSelectionRange(offset, offset);
    }
    errorRef.current?.scrollIntoView({ block: 'nearest' });
  }, [saveError]);

  if (editor.loadError) {
    return (
      <div className="form-error" role="alert">
        <span>Cannot read the agents file: {editor.loadError}</span>
        <span>
          <button type="button" className="button" onClick={editor.reload}>
            Retry
          </button>
        </span>
      </div>
    );
  }

  return (
    <div className="profile-editor">
      <label className="field-label" htmlFor={textareaId}>
        Your agents file
      </label>
      <p className="profile-path small">
        {editor.path ? <code data-testid="agents-config-path">{editor.path}</code> : <span className="muted">Loading…</span>}
      </p>
      <details className="profile-help">
        <summary>File format</summary>
        <pre>{PROFILE_FORMAT_HELP}</pre>
        <p className="muted small">
          <code>{'{prompt}'}</code> is replaced by the task's prompt. Saving re-checks every agent; nothing is written
          when the file does not parse.
        </p>
      </details>
      <textarea
        id={textareaId}
        ref={textareaRef}
        className="profile-text"
        data-testid="agents-config"
        value={editor.text}
        onChange={(e) => editor.setText(e.target.value)}
        disabled={!editor.loaded}
        spellCheck={false}
        autoCapitalize="off"
        autoComplete="off"
        wrap="off"
        rows={14}
        aria-invalid={saveError?.code === 'invalid_profile'}
      />
      {saveError && (
        <pre ref={errorRef} className="form-error profile-error" role="alert" data-testid="agents-config-error">
          {saveError.message || saveError.code}
        </pre>
      )}
      <div className="form-actions">
        <button
          type="button"
          className="button button-primary"
          data-testid="agents-config-save"
          onClick={editor.save}
          disabled={!editor.loaded || editor.saving}
          title="Save (Ctrl+S)"
        >
          {editor.saving ? 'Saving…' : 'Save'}
        </button>
        {editor.dirty && (
          <button type="button" className="button" onClick={editor.revert} disabled={editor.saving}>
            Revert
          </button>
        )}
        <span className="muted small" role="status">
          {editor.dirty ? 'Unsaved changes' : editor.justSaved ? 'Saved' : ''}
        </span>
      </div>
    </div>
  );
}
