import { memo } from 'react';
import type { Run, RunActivity } from '../../api/generated/types';
import { LiveElapsed } from './ElapsedClock';
import { RUN_STATUS_LABELS, isPreparing, lastScreenLine, runDetail } from './runs';
import { isActive, runtimeText } from '../../lib/format';

type Props = {
  run: Run;
  /** The run's latest activity frame, if one arrived. */
  activity: RunActivity | undefined;
};

/** The run strip at the bottom of a card: agent, status, time/queue/exit code, changed files, and the live line. */
export const CardRun = memo(function CardRun({ run, activity }: Props) {
  const active = isActive(run.status);
  const waiting = run.status === 'running' && activity?.waiting === true;
  const detail = runDetail(run);
  const files = run.changed_files;
  const where = runtimeText(run);
  return (
    <div className="card-run" data-run-status={run.status}>
      <div className="card-run-meta">
        <span className="card-run-agent">{run.agent}</span>
        {where && (
          <span className="card-run-runtime" data-testid="card-run-runtime" data-runtime={run.runtime} title={where.title}>
            {where.short}
          </span>
        )}
        <span
          className={`card-run-status run-status-${run.status}`}
          data-testid="card-run-status"
          data-status={run.status}
          title={run.error ?? undefined}
        >
          {isPreparing(run.status) && <span className="spinner card-run-spinner" aria-hidden="true" />}
          {RUN_STATUS_LABELS[run.status]}
        </span>
        {(run.status === 'starting' || run.status === 'running') && run.started_at && <LiveElapsed startedAt={run.started_at} />}
        {detail && <span className="card-run-detail">{detail}</span>}
        {run.status !== 'queued' && (
          <span className="card-run-files" data-testid="card-changed-files" data-count={files} title="Files changed in the worktree">
            {files} {files === 1 ? 'file' : 'files'}
          </span>
        )}
      </div>
      {waiting && activity ? (
        <WaitingForInput lines={activity.last_lines} />
      ) : (
        active && activity && <ScreenLine line={lastScreenLine(activity.last_lines)} />
      )}
    </div>
  );
});

function ScreenLine({ line }: { line: string }) {
  if (!line) return null;
  return (
    <div className="card-screen-line" data-testid="card-last-line" title={line}>
      {line}
    </div>
  );
}

/** The agent went quiet, probably on a question: show it, so the user can tell from the board what it asks. */
function WaitingForInput({ lines }: { lines: readonly string[] }) {
  const question = lines.filter((l) => l.trim() !== '');
  return (
    <div className="card-waiting" data-testid="card-waiting" title={question.join('\n')}>
      <span className="card-waiting-label">Waiting for input</span>
      {question.map((line, i) => (
        <div key={i} className="card-screen-line">
          {line}
        </div>
      ))}
    </div>
  );
}
