// A task's agent runs inside the task panel: start one, watch the selected run's terminal (newest by default),
// replay or export a transcript, follow up, stop, clean up worktrees. Loaded lazily with xterm.js.
import { Suspense, lazy, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Run, Task } from '../../api/generated/types';
import { OpenButtons } from './OpenButtons';
import { canOpen, isShell } from './openLogic';
import { Replay } from './Replay';
import { RunList } from './RunList';
import { StartRunForm } from './StartRunForm';
import { Terminal } from './Terminal';
import { isActive, latestPerWorktree } from './runFormat';
import { useAgents, useNow, useTaskRuns } from './useTaskRuns';

// The Changes view and land actions bring the diff viewer (and its highlighter) along: loaded on first use.
const ReviewPanel = lazy(() => import('../review/ReviewPanel'));

export default function RunsPanel({ task }: { task: Task }) {
  const { runs, error, upsert, scheduleReload } = useTaskRuns(task.id, task.project_id);
  const { agents, error: agentsError } = useAgents();
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

  const worktreeRemoved = useCallback((path: string) => setRemovedWorktrees((s) => new Set(s).add(path)), []);

  return (
    <section className="runs" aria-label="Agent runs" data-testid="runs-panel">
      <h3>Agent runs</h3>
      <StartRunForm task={task} agents={agents} agentsError={agentsError} onStarted={showRun} />
      {error && <p className="muted small">Could not load the runs: {error}</p>}
      {selected && canOpen(selected, removedWorktrees) && <OpenButtons run={selected} onStarted={showRun} />}
      {selected && (
        <div ref={viewRef}>
          <SelectedRun run={selected} replaying={replayId === selected.id} onCloseReplay={() => setReplayId(null)} onEnded={scheduleReload} />
        </div>
      )}
      {selected && !isShell(selected) && selected.status !== 'queued' && !removedWorktrees.has(selected.worktree_path) && (
        <Suspense fallback={<p className="muted small">Loading the changes…</p>}>
          <ReviewPanel
            task={task}
            run={selected}
            runActive={isActive(selected.status)}
            canFollowUp={latestIds.has(selected.id)}
            onStarted={showRun}
          />
        </Suspense>
      )}
      {runs && runs.length === 0 && <p className="muted small">No runs yet.</p>}
      {runs && runs.length > 0 && (
        <RunList
          runs={runs}
          agentNames={agentNames}
          selectedId={selected?.id ?? null}
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
