// Review and land a run's work, under its terminal in the task panel: the land toolbar and the Changes view.
// Loaded lazily (the diff viewer and its highlighter are large).
import { useCallback, useState } from 'react';
import type { Run, Task } from '../../api/generated/types';
import { ChangesView } from './ChangesView';
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
  const landed = useCallback(() => setReloadKey((k) => k + 1), []);
  return (
    <div className="review" data-testid="review-panel" data-run-id={run.id}>
      <h4>Changes</h4>
      <LandToolbar key={`land:${run.id}`} run={run} task={task} runActive={runActive} canFollowUp={canFollowUp} onStarted={onStarted} onLanded={landed} />
      <ChangesView key={`changes:${run.id}`} runId={run.id} reloadKey={reloadKey} />
    </div>
  );
}
