// The land actions of a run's branch: Commit, Merge (or squash), Rebase (with conflict handling), Push and Open
// pull request. Each one first shows the exact command the server will run and runs only when confirmed; errors
// show the server's own message.
import { useCallback, useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { Run } from '../../api/generated/types';
import { ApiError, errorMessage } from '../../api/client';
import { openExternal } from '../../platform';
import { useSaveShortcut } from '../shortcuts/useSaveShortcut';
import { useLiveSubscription } from '../connection/useLiveEvents';
import { followUp } from '../../api/runs';
import { abortRebase, commit, getGitState, merge, openPr, push, rebase } from '../../api/review';
import {
  blockedReason,
  commandFor,
  conflictPrompt,
  defaultCommitMessage,
  defaultPr,
  positionText,
  prBadge,
  type LandAction,
} from './logic';
import type { GitState } from './types';

type Props = {
  run: Run;
  task: { id: string; title: string; description: string; status: string };
  runActive: boolean;
  /** Whether this run is the newest of its worktree (only then can a follow-up start from it). */
  canFollowUp: boolean;
  onStarted: (run: Run) => void;
  /** A land action changed the branch: the Changes view reloads. */
  onLanded: () => void;
};

type Dialog = 'commit' | 'merge' | 'rebase' | 'push' | 'pr' | null;

const GIT_COALESCE_MS = 400;

export function LandToolbar({ run, task, runActive, canFollowUp, onStarted, onLanded }: Props) {
  const [state, setState] = useState<GitState | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ code: string; message: string } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const generation = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const load = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const s = await getGitState(run.id);
      if (mine !== generation.current) return;
      setState(s);
      setLoadError(null);
    } catch (e) {
      if (mine === generation.current) setLoadError(errorMessage(e));
    }
  }, [run.id]);

  useEffect(() => {
    void load();
    return () => {
      if (timer.current !== null) clearTimeout(timer.current);
      timer.current = null;
    };
  }, [load, run.status]);

  const schedule = useCallback(() => {
    if (timer.current !== null) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      void load();
    }, GIT_COALESCE_MS);
  }, [load]);

  // Files written in the worktree change what is uncommitted.
  useLiveSubscription({
    onEvent: (e) => {
      if (e.type === 'run_files' && e.run_id === run.id) schedule();
    },
    onResync: schedule,
  });

  /** Runs a land action; its answer is the new state. */
  const perform = async (action: () => Promise<GitState>, done: string, after?: (s: GitState) => Promise<void>) => {
    if (busy) return;
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      generation.current += 1;
      const s = await action();
      setState(s);
      setDialog(null);
      setNotice(done);
      onLanded();
      if (after) await after(s);
    } catch (e) {
      setError(e instanceof ApiError ? { code: e.code, message: e.message || e.code } : { code: 'error', message: errorMessage(e) });
      // A refused action may still have changed something (a rebase stopping on conflicts): show what is true now.
      void load();
    } finally {
      setBusy(false);
    }
  };

  const letAgentResolve = async () => {
    if (!state?.rebase || busy) return;
    setBusy(true);
    setError(null);
    try {
      onStarted(await followUp(run.id, { prompt: conflictPrompt(state.rebase.conflicts, state.rebase.onto) }));
      setNotice('A follow-up run is resolving the conflicts.');
    } catch (e) {
      setError(e instanceof ApiError ? { code: e.code, message: e.message } : { code: 'error', message: errorMessage(e) });
    } finally {
      setBusy(false);
    }
  };

  if (!state) {
    return (
      <div className="land" data-testid="land-toolbar">
        {loadError ? <p className="muted small">Branch state unavailable: {loadError}</p> : <p className="muted small">Loading branch state…</p>}
      </div>
    );
  }

  const button = (action: LandAction, d: Exclude<Dialog, null>, label: string, testId: string) => {
    const reason = blockedReason(action, state, runActive);
    return (
      <button
        type="button"
        className="button button-small"
        data-testid={testId}
        aria-expanded={dialog === d}
        disabled={busy || (reason !== null && d !== 'rebase')}
        title={reason ?? undefined}
        onClick={() => {
          setError(null);
          setDialog((cur) => (cur === d ? null : d));
        }}
      >
        {label}
      </button>
    );
  };

  const badge = state.pr ? prBadge(state.pr) : null;

  return (
    <div className="land" data-testid="land-toolbar">
      <div className="land-bar">
        <code className="small">{state.branch}</code>
        <span className="muted small" data-testid="land-position">
          {positionText(state)}
        </span>
        {badge && state.pr && (
          <button type="button" className={`pr-badge pr-${badge.tone}`} data-testid="pr-badge" onClick={() => openExternal(state.pr!.url)} title={state.pr.url}>
            {badge.text}
          </button>
        )}
      </div>
      <div className="land-bar" role="toolbar" aria-label="Land the work">
        {button('commit', 'commit', 'Commit…', 'land-commit')}
        {button('merge', 'merge', 'Merge…', 'land-merge')}
        {button('rebase', 'rebase', state.rebase ? 'Rebase (in progress)' : 'Rebase…', 'land-rebase')}
        {button('push', 'push', 'Push…', 'land-push')}
        {button('pr', 'pr', 'Open pull request…', 'land-pr')}
      </div>
      {notice && !error && (
        <p className="small land-notice" role="status" data-testid="land-notice">
          {notice}
        </p>
      )}
      {error && (
        <div className="form-error" role="alert" data-testid="land-error">
          <strong>{error.message}</strong> <span className="muted small">({error.code})</span>
        </div>
      )}
      {dialog === 'commit' && (
        <CommitDialog
          state={state}
          title={task.title}
          busy={busy}
          onCancel={() => setDialog(null)}
          onRun={(message) => void perform(() => commit(run.id, { message }), 'Committed.')}
        />
      )}
      {dialog === 'merge' && (
        <MergeDialog
          state={state}
          title={task.title}
          busy={busy}
          onCancel={() => setDialog(null)}
          onRun={(squash, message) =>
            void perform(
              () => merge(run.id, squash ? { squash, message } : { squash }),
              // The server moves the task to Done (and applies the cleanup policy); the board follows its events.
              `Merged into ${state.target}.`,
            )
          }
        />
      )}
      {dialog === 'rebase' && (
        <RebaseDialog
          state={state}
          busy={busy}
          reason={blockedReason('rebase', state, runActive)}
          canFollowUp={canFollowUp && !runActive}
          onCancel={() => setDialog(null)}
          onRun={() => void perform(() => rebase(run.id), `Rebased onto ${state.target}.`)}
          onAbort={() => void perform(() => abortRebase(run.id), 'Rebase aborted; the branch is as it was.')}
          onLetAgentResolve={() => void letAgentResolve()}
        />
      )}
      {dialog === 'push' && (
        <PushDialog state={state} busy={busy} onCancel={() => setDialog(null)} onRun={(force) => void perform(() => push(run.id, { force }), force ? 'Force-pushed.' : 'Pushed.')} />
      )}
      {dialog === 'pr' && (
        <PrDialog
          state={state}
          initial={defaultPr(task, run, state)}
          busy={busy}
          onCancel={() => setDialog(null)}
          onRun={(title, body, draft) => void perform(() => openPr(run.id, { title, body, draft }), 'Pull request opened.')}
        />
      )}
      {state.rebase && dialog !== 'rebase' && (
        <p className="small form-error" data-testid="rebase-banner">
          Rebase onto {state.rebase.onto} stopped: {state.rebase.conflicts.length} conflicted file(s). Open Rebase to resolve or abort.
        </p>
      )}
    </div>
  );
}

type ConfirmProps = {
  label: string;
  command: string | null;
  busy: boolean;
  runLabel: string;
  danger?: boolean;
  disabled?: boolean;
  onCancel: () => void;
  onRun: () => void;
  children?: React.ReactNode;
};

/** The confirm panel every action shares: the command first, then Run / Cancel; Ctrl+Enter runs, Esc cancels. */
function Confirm({ label, command, busy, runLabel, danger, disabled, onCancel, onRun, children }: ConfirmProps) {
  const onSaveKey = useSaveShortcut<HTMLFormElement>(() => {
    if (!busy && !disabled) onRun();
  });
  const onKeyDown = (e: KeyboardEvent<HTMLFormElement>) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onCancel();
    } else {
      onSaveKey(e);
    }
  };
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (!busy && !disabled) onRun();
  };
  return (
    <form className="land-dialog" role="group" aria-label={label} onSubmit={onSubmit} onKeyDown={onKeyDown} data-testid="land-dialog">
      {children}
      <div className="land-command">
        <span className="muted small">Will run:</span>
        <pre data-testid="land-command">{command ?? '(not available)'}</pre>
      </div>
      <div className="land-dialog-actions">
        <button type="submit" className={`button button-small ${danger ? 'button-danger' : 'button-primary'}`} data-testid="land-run" disabled={busy || disabled}>
          {busy ? 'Running…' : runLabel}
        </button>
        <button type="button" className="button button-small" onClick={onCancel}>
          Cancel
        </button>
        <span className="muted small">Ctrl+Enter runs, Esc cancels</span>
      </div>
    </form>
  );
}

type DialogProps = { state: GitState; busy: boolean; onCancel: () => void };

function CommitDialog({ state, title, busy, onCancel, onRun }: DialogProps & { title: string; onRun: (message: string) => void }) {
  const [message, setMessage] = useState(() => defaultCommitMessage(title));
  return (
    <Confirm label="Commit" command={commandFor('commit', state.commands)} busy={busy} runLabel="Commit" disabled={!message.trim()} onCancel={onCancel} onRun={() => onRun(message)}>
      <label className="field">
        <span className="small">Commit message ({state.uncommitted.length} file(s): {state.uncommitted.slice(0, 5).join(', ')}{state.uncommitted.length > 5 ? ', …' : ''})</span>
        <textarea data-testid="commit-message" rows={3} value={message} onChange={(e) => setMessage(e.target.value)} autoFocus />
      </label>
    </Confirm>
  );
}

function MergeDialog({ state, title, busy, onCancel, onRun }: DialogProps & { title: string; onRun: (squash: boolean, message: string) => void }) {
  const [squash, setSquash] = useState(false);
  const [message, setMessage] = useState(() => defaultCommitMessage(title));
  return (
    <Confirm
      label="Merge"
      command={commandFor(squash ? 'squash' : 'merge', state.commands)}
      busy={busy}
      runLabel={squash ? 'Squash and merge' : 'Merge'}
      onCancel={onCancel}
      onRun={() => onRun(squash, message)}
    >
      <div className="land-choice" role="radiogroup" aria-label="How to merge">
        <label>
          <input type="radio" name="merge-kind" checked={!squash} onChange={() => setSquash(false)} data-testid="merge-kind-merge" /> Merge commit
        </label>
        <label>
          <input type="radio" name="merge-kind" checked={squash} onChange={() => setSquash(true)} data-testid="merge-kind-squash" /> Squash into one commit
        </label>
      </div>
      {squash && (
        <label className="field">
          <span className="small">Squash commit message</span>
          <textarea rows={2} value={message} onChange={(e) => setMessage(e.target.value)} />
        </label>
      )}
      <p className="muted small">
        Merges {state.branch} ({state.ahead} commit(s)) into {state.target} in the project's repository.
      </p>
    </Confirm>
  );
}

type RebaseProps = DialogProps & {
  reason: string | null;
  canFollowUp: boolean;
  onRun: () => void;
  onAbort: () => void;
  onLetAgentResolve: () => void;
};

function RebaseDialog({ state, busy, reason, canFollowUp, onCancel, onRun, onAbort, onLetAgentResolve }: RebaseProps) {
  if (state.rebase) {
    return (
      <div className="land-dialog" role="group" aria-label="Rebase in progress" data-testid="rebase-conflicts">
        <p className="small">
          The rebase onto <code>{state.rebase.onto}</code> stopped with conflicts in:
        </p>
        <ul className="conflict-list">
          {state.rebase.conflicts.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ul>
        <div className="land-dialog-actions">
          <button type="button" className="button button-small button-primary" data-testid="rebase-agent-resolve" disabled={busy || !canFollowUp} onClick={onLetAgentResolve} title={canFollowUp ? undefined : 'Only the newest finished run of this worktree can be followed up.'}>
            Let the agent resolve
          </button>
          <button type="button" className="button button-small button-danger" data-testid="rebase-abort" disabled={busy} onClick={onAbort}>
            Abort (git rebase --abort)
          </button>
          <button type="button" className="button button-small" onClick={onCancel}>
            Close
          </button>
        </div>
      </div>
    );
  }
  return (
    <Confirm label="Rebase" command={commandFor('rebase', state.commands)} busy={busy} runLabel="Rebase" disabled={reason !== null} onCancel={onCancel} onRun={onRun}>
      <p className="muted small">{reason ?? `Replays ${state.branch}'s ${state.ahead} commit(s) on top of ${state.target} (${state.behind} new there).`}</p>
    </Confirm>
  );
}

function PushDialog({ state, busy, onCancel, onRun }: DialogProps & { onRun: (force: boolean) => void }) {
  const [force, setForce] = useState(false);
  const [forceConfirmed, setForceConfirmed] = useState(false);
  return (
    <Confirm
      label="Push"
      command={commandFor('push', state.commands)}
      busy={busy}
      runLabel={force ? 'Force push' : 'Push'}
      danger={force}
      disabled={force && !forceConfirmed}
      onCancel={onCancel}
      onRun={() => onRun(force)}
    >
      <p className="muted small">
        {state.upstream ? `Pushes to ${state.upstream}.` : 'Pushes the branch to the remote and sets its upstream.'}
      </p>
      <label className="small">
        <input type="checkbox" checked={force} onChange={(e) => { setForce(e.target.checked); setForceConfirmed(false); }} data-testid="push-force" /> Force (overwrite the remote branch)
      </label>
      {force && (
        <p className="small form-error" data-testid="push-force-note">
          <strong>Force:</strong> the server adds <code>--force-with-lease</code> to the command above (its state does not list a
          separate force command), i.e. <code data-testid="push-force-command">{commandFor('force-push', state.commands)}</code>
        </p>
      )}
      {force && (
        <label className="small form-error">
          <input type="checkbox" checked={forceConfirmed} onChange={(e) => setForceConfirmed(e.target.checked)} data-testid="push-force-confirm" /> I understand that commits on the remote branch that are not here will be lost.
        </label>
      )}
    </Confirm>
  );
}

function PrDialog({ state, initial, busy, onCancel, onRun }: DialogProps & { initial: { title: string; body: string }; onRun: (title: string, body: string, draft: boolean) => void }) {
  const [title, setTitle] = useState(initial.title);
  const [body, setBody] = useState(initial.body);
  const [draft, setDraft] = useState(false);
  return (
    <Confirm label="Open pull request" command={commandFor('pr', state.commands)} busy={busy} runLabel="Open pull request" disabled={!title.trim() || state.commands.pr === null} onCancel={onCancel} onRun={() => onRun(title, body, draft)}>
      <label className="field">
        <span className="small">Title</span>
        <input data-testid="pr-title" value={title} onChange={(e) => setTitle(e.target.value)} autoFocus />
      </label>
      <label className="field">
        <span className="small">Description</span>
        <textarea data-testid="pr-body" rows={5} value={body} onChange={(e) => setBody(e.target.value)} />
      </label>
      <label className="small">
        <input type="checkbox" checked={draft} onChange={(e) => setDraft(e.target.checked)} /> Draft
      </label>
    </Confirm>
  );
}
