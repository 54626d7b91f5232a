// Review and land a run's work, under its terminal in the task panel: the land toolbar, the Changes view (with
// review comments) and, when the task has several attempts, Compare attempts.
// Loaded lazily (the diff viewer and its highlighter are large).
import { useCallback, useEffect, useState } from 'react';
import type { Run, Task } from '../../api/generated/types';
import { listTaskRuns } from '../../api/runs';
import { ChangesView } from './ChangesView';
import { CompareAttempts } from './CompareAttempts';
import { LandToolbar } from './LandToolbar';

type Props = {
  task: Task;
  run: Run;
  runActive: boolean;
  canFollowUp: boolean;
  onStarted: (run: Run) => void;
};

export default function ReviewPanel({ task, run, runActive, canFollowUp, onStarted }: Props) {
  const [reloadKey, setReloadKey] = useState(0);
  const [attempts, setAttempts] = useState(0);
  const [comparing, setComparing] = useState(false);
  const landed = useCallback(() => setReloadKey((k) => k + 1), []);

  // How many attempts (worktrees) the task has: Compare shows from two on. Rechecked when the selected run changes.
  useEffect(() => {
    let live = true;
    listTaskRuns(task.id)
      .then((runs) => live && setAttempts(new Set(runs.map((r) => r.worktree_path)).size))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [task.id, run.id, run.status]);

  return (
    <div className="review" data-testid="review-panel" data-run-id={run.id}>
      <div className="land-bar">
        <h4>Changes</h4>
        <span className="spacer" />
        {attempts > 1 && (
          <button type="button" className="button button-small" data-testid="compare-open" onClick={() => setComparing(true)}>
            Compare attempts ({attempts})
          </button>
        )}
      </div>
      <LandToolbar key={`land:${run.id}`} run={run} task={task} runActive={runActive} canFollowUp={canFollowUp} onStarted={onStarted} onLanded={landed} />
      <ChangesView key={`changes:${run.id}`} runId={run.id} reloadKey={reloadKey} canFollowUp={canFollowUp && !runActive} onStarted={onStarted} />
      {comparing && <CompareAttempts task={task} onClose={() => setComparing(false)} />}
    </div>
  );
}
