// The task's runs, newest first: status, timing, where the work is, and what can be done with each.
import { useState, type FormEvent } from 'react';
import type { Run } from '../../api/generated/types';
import { ApiError, errorMessage } from '../../api/client';
import { saveFile } from '../../platform';
import { castFile, followUp, removeWorktree, stopRun } from '../../api/runs';
import { isShell, runLabel } from './openLogic';
import { exitLabel, formatDuration, isActive, runDurationMs, runtimeText, shortId, shortTime } from '../../lib/format';

type ListProps = {
  runs: Run[];
  agentNames: ReadonlyMap<string, string>;
  selectedId: string | null;
  /** Newest run of each worktree: only they offer a follow-up or removing the worktree. */
  latestIds: ReadonlySet<string>;
  removedWorktrees: ReadonlySet<string>;
  now: number;
  onSelect: (runId: string) => void;
  onReplay: (runId: string) => void;
  onChanged: (run: Run) => void;
  onStarted: (run: Run) => void;
  onWorktreeRemoved: (path: string) => void;
};

export function RunList({ runs, agentNames, selectedId, latestIds, removedWorktrees, now, ...handlers }: ListProps) {
  return (
    <ol className="run-list" data-testid="run-list">
      {runs.map((run) => (
        <RunRow
          key={run.id}
          run={run}
          agentName={agentNames.get(run.agent) ?? run.agent}
          selected={run.id === selectedId}
          latest={latestIds.has(run.id)}
          worktreeRemoved={removedWorktrees.has(run.worktree_path)}
          now={now}
          {...handlers}
        />
      ))}
    </ol>
  );
}

type RowProps = Omit<ListProps, 'runs' | 'agentNames' | 'selectedId' | 'latestIds' | 'removedWorktrees'> & {
  run: Run;
  agentName: string;
  selected: boolean;
  latest: boolean;
  worktreeRemoved: boolean;
};

function RunRow({ run, agentName, selected, latest, worktreeRemoved, now, onSelect, ...actions }: RowProps) {
  const duration = runDurationMs(run, now);
  const exit = exitLabel(run.exit_code);
  const where = runtimeText(run);
  const failedExit = run.exit_code !== null && run.exit_code !== 0;
  const failure = failureText(run);
  return (
    <li className={`run-row${selected ? ' run-row-selected' : ''}`} data-testid="run-row" data-run-id={run.id}>
      <button type="button" className="run-row-head" aria-pressed={selected} onClick={() => onSelect(run.id)} title="Show this run">
        <span className={`run-status run-status-${run.status}`} data-testid="run-status">
          {run.status}
        </span>
        <span className={isShell(run) ? 'run-agent run-kind-shell' : 'run-agent'} data-kind={run.kind}>
          {runLabel(run, agentName)}
        </span>
        {run.follow_up_of && <span className="muted small">follow-up</span>}
        {where && (
          <span className="muted small run-runtime" data-testid="run-runtime" data-runtime={run.runtime} title={where.title}>
            {where.long}
          </span>
        )}
        <span className="spacer" />
        {run.status === 'queued' && run.queue_position !== null && (
          <span className="small" data-testid="run-queue-position">
            #{run.queue_position} in queue
          </span>
        )}
        {duration !== null && (
          <span className="muted small run-duration" data-testid="run-duration">
            {formatDuration(duration)}
          </span>
        )}
        {exit && (
          <span className={`small run-exit${failedExit ? ' run-exit-failed' : ' muted'}`} data-testid="run-exit-code">
            {exit}
          </span>
        )}
        <time className="muted small" dateTime={run.created_at} title={run.created_at}>
          {shortTime(run.created_at)}
        </time>
      </button>
      <dl className="run-details">
        <dt>Branch</dt>
        <dd>
          <code>{run.branch}</code> <span className="muted small">from {run.base_ref}</span>
        </dd>
        <dt>Worktree</dt>
        <dd>
          <code className="run-path">{run.worktree_path}</code>
          {worktreeRemoved && <span className="muted small"> (removed)</span>}
        </dd>
        <dt>Changes</dt>
        <dd data-testid="run-changed-files">
          {run.changed_files === 1 ? '1 file' : `${run.changed_files} files`}
        </dd>
      </dl>
      {failure && (
        <p className="run-message run-message-error" data-testid="run-failure">
          {failure}
        </p>
      )}
      {run.warnings.map((w) => (
        <p key={w} className="run-message run-message-warn" data-testid="run-warning">
          <span aria-hidden="true">⚠ </span>
          {w}
        </p>
      ))}
      <RunActions run={run} latest={latest} worktreeRemoved={worktreeRemoved} {...actions} />
    </li>
  );
}

/** Why a run did not succeed, as the server put it; a failed run without a reason still shows its exit code. */
function failureText(run: Run): string | null {
  if (run.error) return run.error;
  if (run.status === 'failed' && run.exit_code !== null) return `The agent exited with code ${run.exit_code}.`;
  return null;
}

type ActionProps = Pick<ListProps, 'onReplay' | 'onChanged' | 'onStarted' | 'onWorktreeRemoved'> & {
  run: Run;
  latest: boolean;
  worktreeRemoved: boolean;
};

/** Removing a worktree asks first, and asks again (to force) when it holds uncommitted changes. */
type RemoveStep = 'idle' | 'confirm' | 'confirm-dirty';

function RunActions({ run, latest, worktreeRemoved, onReplay, onChanged, onStarted, onWorktreeRemoved }: ActionProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [removeStep, setRemoveStep] = useState<RemoveStep>('idle');
  const [followingUp, setFollowingUp] = useState(false);
  const [exporting, setExporting] = useState(false);

  const active = isActive(run.status);
  const canContinue = latest && !active && !worktreeRemoved;

  const act = async (action: () => Promise<void>) => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const stop = () => act(async () => onChanged(await stopRun(run.id)));

  // Fetched with the session, then saved from a blob: URL (a plain link would carry no credential).
  const exportCast = async () => {
    if (exporting) return;
    setExporting(true);
    setError(null);
    try {
      saveFile(await castFile(run.id), `viban-run-${shortId(run.id)}.cast`);
    } catch (e) {
      setError(`Could not export the transcript: ${errorMessage(e)}`);
    } finally {
      setExporting(false);
    }
  };

  const remove = (force: boolean) =>
    act(async () => {
      try {
        await removeWorktree(run.id, force);
        setRemoveStep('idle');
        onWorktreeRemoved(run.worktree_path);
      } catch (e) {
        if (!force && e instanceof ApiError && e.code === 'worktree_dirty') {
          setRemoveStep('confirm-dirty');
          return;
        }
        setRemoveStep('idle');
        throw e;
      }
    });

  return (
    <>
      <div className="run-actions">
        {active && (
          <button type="button" className="button button-small" data-testid="run-stop" onClick={() => void stop()} disabled={busy}>
            {busy ? 'Stopping…' : 'Stop'}
          </button>
        )}
        {canContinue && (
          <button
            type="button"
            className="button button-small"
            data-testid="run-follow-up"
            aria-expanded={followingUp}
            onClick={() => setFollowingUp((v) => !v)}
          >
            Follow up…
          </button>
        )}
        {!active && (
          <button type="button" className="button button-small" data-testid="run-replay" onClick={() => onReplay(run.id)}>
            Replay
          </button>
        )}
        {run.status !== 'queued' && (
          <button
            type="button"
            className="button button-small"
            data-testid="run-export"
            onClick={() => void exportCast()}
            disabled={exporting}
          >
            {exporting ? 'Exporting…' : 'Export .cast'}
          </button>
        )}
        <span className="spacer" />
        {canContinue && removeStep === 'idle' && (
          <button type="button" className="button button-small button-ghost-danger" data-testid="run-remove-worktree" onClick={() => setRemoveStep('confirm')}>
            Remove worktree…
          </button>
        )}
        {removeStep !== 'idle' && (
          <span className="confirm-delete" role="group" aria-label="Confirm removing the worktree">
            <span className="small">
              {removeStep === 'confirm'
                ? 'Remove the worktree folder? The branch stays.'
                : 'It has uncommitted changes that will be lost. Remove anyway?'}
            </span>
            <button
              type="button"
              className="button button-small button-danger"
              data-testid="run-remove-worktree-confirm"
              disabled={busy}
              onClick={() => void remove(removeStep === 'confirm-dirty')}
            >
              {removeStep === 'confirm' ? 'Remove' : 'Remove anyway'}
            </button>
            <button type="button" className="button button-small" onClick={() => setRemoveStep('idle')}>
              Keep
            </button>
          </span>
        )}
      </div>
      {followingUp && canContinue && (
        <FollowUpForm
          run={run}
          onSent={(next) => {
            setFollowingUp(false);
            onStarted(next);
          }}
        />
      )}
      {error && (
        <div className="form-error" role="alert" data-testid="run-action-error">
          {error}
        </div>
      )}
    </>
  );
}

/** A further prompt for the same agent in the same worktree and branch. */
function FollowUpForm({ run, onSent }: { run: Run; onSent: (run: Run) => void }) {
  const [prompt, setPrompt] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    if (!prompt.trim()) {
      setError('Write what the agent should do next.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onSent(await followUp(run.id, { prompt }));
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <form className="run-follow-up" onSubmit={(e) => void onSubmit(e)} noValidate>
      <input
        data-testid="run-follow-up-prompt"
        aria-label="Follow-up prompt"
        value={prompt}
        onChange={(e) => setPrompt(e.target.value)}
        placeholder="Next instruction, in the same worktree…"
        autoComplete="off"
        autoFocus
      />
      <button type="submit" className="button button-primary button-small" data-testid="run-follow-up-send" disabled={busy}>
        {busy ? 'Sending…' : 'Send'}
      </button>
      {error && (
        <div className="form-error" role="alert">
          {error}
        </div>
      )}
    </form>
  );
}
