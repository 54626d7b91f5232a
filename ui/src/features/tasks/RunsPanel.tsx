// A task's agent runs inside the task panel: start one, watch the selected run's terminal (newest by default),
// replay or export a transcript, follow up, stop, clean up worktrees. Loaded lazily with xterm.js.
import { Suspense, lazy, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Run, Task, TaskDependencies } from '../../api/generated/types';
import { taskDependencies } from '../../api/tasks';
import { Dependencies } from './Dependencies';
import { blockedReason } from './dependencies';
import { OpenButtons } from '../runs/OpenButtons';
import { canOpen, isAgentRun, isShell } from '../runs/openLogic';
import { Replay } from '../runs/Replay';
import { RunList } from '../runs/RunList';
import { StartRunForm } from '../runs/StartRunForm';
import { Terminal } from '../runs/Terminal';
import { latestPerWorktree } from '../runs/runFormat';
import { useAgents, useNow, useTaskRuns } from '../runs/useTaskRuns';
import { stopRun } from '../../api/runs';
import { errorMessage } from '../../api/client';
import { Fold } from './Fold';
import { focusTerminalOnOpen, liveRun } from './panelLayout';
import { PinButton } from '../cockpit/controls';
import { RUN_STATUS_LABELS, isPreparing } from '../board/runs';
import { formatDuration, isActive, runDurationMs } from '../../lib/format';

// The Changes view and land actions bring the diff viewer (and its highlighter) along: loaded on first use.
const ReviewPanel = lazy(() => import('../review/ReviewPanel'));

type PanelProps = {
  task: Task;
  /** Told whether a run is live, so the task panel can lead with it and fold the rest away. */
  onLiveChange?: (live: boolean) => void;
  /** The task's run waiting for input (from the board's activity): its terminal is focused when the panel opens. */
  waitingRunId?: string | null;
  startOrder?: number;
};

export default function RunsPanel({ task, onLiveChange, waitingRunId = null, startOrder = 0 }: PanelProps) {
  const { runs, error, upsert, scheduleReload } = useTaskRuns(task.id, task.project_id);
  const { agents, error: agentsError } = useAgents();
  const [deps, setDeps] = useState<TaskDependencies | null>(null);
  // Refetched when the task changes (a blocker going Done changes nothing here; its board change reloads runs).
  useEffect(() => {
    let alive = true;
    taskDependencies(task.id)
      .then((d) => alive && setDeps(d))
      .catch(() => alive && setDeps(null));
    return () => {
      alive = false;
    };
  }, [task.id, task.updated_at, runs]);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [replayId, setReplayId] = useState<string | null>(null);
  // The API has no "worktree still exists" flag; removals made here are remembered for this panel's lifetime.
  const [removedWorktrees, setRemovedWorktrees] = useState<ReadonlySet<string>>(() => new Set());

  const selected = runs?.find((r) => r.id === selectedId) ?? runs?.[0] ?? null;
  const anyActive = runs?.some((r) => isActive(r.status)) ?? false;
  const now = useNow(anyActive);
  const latestIds = useMemo(() => latestPerWorktree(runs ?? []), [runs]);
  const agentNames = useMemo(() => new Map((agents ?? []).map((a) => [a.id, a.name])), [agents]);

  // A run the user just started (or followed up) is brought into view: the panel is long and the terminal is
  // where the agent's questions appear (xterm also only draws while visible).
  const viewRef = useRef<HTMLDivElement>(null);
  const [revealId, setRevealId] = useState<string | null>(null);
  useEffect(() => {
    if (revealId) viewRef.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [revealId]);

  const showRun = useCallback(
    (run: Run) => {
      upsert(run);
      setSelectedId(run.id);
      setReplayId(null);
      setRevealId(run.id);
    },
    [upsert],
  );

  const select = useCallback((runId: string) => {
    setSelectedId(runId);
    setReplayId((current) => (current === runId ? current : null));
  }, []);

  const replay = useCallback((runId: string) => {
    setSelectedId(runId);
    setReplayId(runId);
  }, []);

  const live = runs ? liveRun(runs, selected) : null;
  // The run on screen: the one the user picked, else the live one (a run started elsewhere), else the newest.
  const shown = selectedId !== null ? selected : (live ?? selected);
  useEffect(() => onLiveChange?.(live !== null), [live, onLiveChange]);

  // Opening a task whose agent waits for input: its terminal, scrolled to and focused, with the question on screen.
  const focusedOnOpen = useRef(false);
  useEffect(() => {
    if (focusedOnOpen.current || !runs) return;
    focusedOnOpen.current = true;
    if (!focusTerminalOnOpen(live, waitingRunId)) return;
    let tries = 0;
    const attempt = () => {
      const input = viewRef.current?.querySelector<HTMLElement>('.xterm-helper-textarea');
      // Once the task panel has laid itself out for the live run (details folded away), or there is no such panel.
      const laidOut = viewRef.current?.closest('[data-live]')?.getAttribute('data-live') !== 'false';
      if (input && laidOut) {
        input.focus({ preventScroll: true });
        // Centred, so the sticky header never covers the question; again once lazy parts below have loaded.
        const reveal = () => viewRef.current?.scrollIntoView({ block: 'center' });
        reveal();
        window.setTimeout(reveal, 300);
      } else if (tries++ < 50) window.setTimeout(attempt, 100);
    };
    attempt();
  }, [runs, live, waitingRunId]);

  const worktreeRemoved = useCallback((path: string) => setRemovedWorktrees((s) => new Set(s).add(path)), []);

  return (
    <section className={`runs${live ? ' runs-live' : ''}`} aria-label="Agent runs" data-testid="runs-panel">
      {live ? (
        <LiveHeader run={live} agentName={agentNames.get(live.agent) ?? live.agent} now={now} onChanged={upsert} />
      ) : (
        <h3>Agent runs</h3>
      )}
      <Fold section="start" label="Start another run" foldable={live !== null} order={live ? startOrder : 0}>
        <Dependencies task={task} deps={deps} agents={agents} onChange={setDeps} />
        <StartRunForm task={task} agents={agents} agentsError={agentsError} onStarted={showRun} blocked={blockedReason(deps)} />
      </Fold>
      {error && <p className="muted small">Could not load the runs: {error}</p>}
      {shown && canOpen(shown, removedWorktrees) && <OpenButtons run={shown} onStarted={showRun} />}
      {shown && (
        <div ref={viewRef} className="runs-view">
          <SelectedRun run={shown} replaying={replayId === shown.id} onCloseReplay={() => setReplayId(null)} onEnded={scheduleReload} />
        </div>
      )}
      {shown && isAgentRun(shown) && shown.status !== 'queued' && !removedWorktrees.has(shown.worktree_path) && (
        <Suspense fallback={<p className="muted small">Loading the changes…</p>}>
          <ReviewPanel
            task={task}
            run={shown}
            runActive={isActive(shown.status)}
            canFollowUp={latestIds.has(shown.id)}
            onStarted={showRun}
          />
        </Suspense>
      )}
      {runs && runs.length === 0 && <p className="muted small">No runs yet.</p>}
      {runs && runs.length > 0 && (
        <RunList
          runs={runs}
          agentNames={agentNames}
          selectedId={shown?.id ?? null}
          latestIds={latestIds}
          removedWorktrees={removedWorktrees}
          now={now}
          onSelect={select}
          onReplay={replay}
          onChanged={upsert}
          onStarted={showRun}
          onWorktreeRemoved={worktreeRemoved}
        />
      )}
    </section>
  );
}

/**
 * The live run's header, sticky at the top of the panel: status, agent, elapsed time, Stop, and Follow-up (which
 * opens once the run has ended; the follow-up form is in the run's row).
 */
function LiveHeader({ run, agentName, now, onChanged }: { run: Run; agentName: string; now: number; onChanged: (run: Run) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const duration = runDurationMs(run, now);
  const stop = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      onChanged(await stopRun(run.id));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="run-live-header" data-testid="run-live-header" data-run-id={run.id}>
      {/* The card's words (Preparing… while the setup script runs and the agent spawns), from the same table. */}
      <span className={`run-status run-status-${run.status}`} data-testid="run-live-status" data-status={run.status}>
        {isPreparing(run.status) && <span className="spinner card-run-spinner" aria-hidden="true" />}
        {RUN_STATUS_LABELS[run.status]}
      </span>
      <span className="run-agent" data-testid="run-live-agent">
        {agentName}
      </span>
      {duration !== null && (
        <span className="muted small" data-testid="run-live-elapsed">
          {formatDuration(duration)}
        </span>
      )}
      <span className="spacer" />
      {error && (
        <span className="form-error small" role="alert">
          {error}
        </span>
      )}
      <PinButton runId={run.id} />
      <button type="button" className="button button-small" data-testid="run-live-stop" onClick={() => void stop()} disabled={busy}>
        {busy ? 'Stopping…' : 'Stop'}
      </button>
      <button type="button" className="button button-small" data-testid="run-live-follow-up" disabled title="Follow up once the run has ended">
        Follow up…
      </button>
    </div>
  );
}

type SelectedRunProps = { run: Run; replaying: boolean; onCloseReplay: () => void; onEnded: () => void };

/**
 * The replay, or the run's terminal. The terminal is keyed by the run alone: refetches of the runs list (status
 * flips, counters) only change its props, so it stays mounted and connected from queued to finished.
 */
function SelectedRun({ run, replaying, onCloseReplay, onEnded }: SelectedRunProps) {
  if (replaying) return <Replay key={run.id} runId={run.id} onClose={onCloseReplay} />;
  return (
    <>
      {isShell(run) && (
        <p className="run-shell-label muted small" data-testid="run-shell-label">
          shell — <code>{run.worktree_path}</code>
        </p>
      )}
      <Terminal
      key={run.id}
      runId={run.id}
      status={run.status}
      queuePosition={run.queue_position}
      cols={run.cols}
      rows={run.rows}
      onEnded={onEnded}
      />
    </>
  );
}
