import { memo, type CSSProperties, type HTMLAttributes, type KeyboardEvent, type Ref } from 'react';
import { useSortable } from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import type { Run, RunActivity, Task, TaskStatus } from '../../api/generated/types';
import { CardRun } from './CardRun';
import { firstLine } from './logic';
import { RUN_STATUS_LABELS } from './runs';
import { shortId } from '../../lib/format';

type ViewProps = {
  task: Task;
  /** The task's newest run, if it has one. */
  run?: Run | undefined;
  /** The latest activity frame of that run (only when it belongs to `run`). */
  activity?: RunActivity | undefined;
  className?: string;
  style?: CSSProperties;
  nodeRef?: Ref<HTMLDivElement>;
  overlay?: boolean;
} & Omit<HTMLAttributes<HTMLDivElement>, 'style' | 'className'>;

/** The card as drawn (in a column and in the drag overlay). */
export function TaskCardView({ task, run, activity, className, style, nodeRef, overlay, ...rest }: ViewProps) {
  const summary = firstLine(task.description);
  return (
    <div
      ref={nodeRef}
      className={`card ${overlay ? 'card-overlay' : ''} ${className ?? ''}`}
      style={style}
      data-testid={overlay ? 'task-card-overlay' : 'task-card'}
      data-task-id={task.id}
      {...rest}
    >
      <div className="card-title">{task.title}</div>
      {summary && <div className="card-summary">{summary}</div>}
      <div className="card-meta">
        <span className="card-id">#{shortId(task.id)}</span>
        {task.parent_id && (
          <span className="card-parent" data-testid="card-parent" title={`Subtask of #${shortId(task.parent_id)}`}>
            ↳ #{shortId(task.parent_id)}
          </span>
        )}
      </div>
      {run && <CardRun run={run} activity={activity} />}
    </div>
  );
}

type SortableProps = {
  task: Task;
  run: Run | undefined;
  activity: RunActivity | undefined;
  status: TaskStatus;
  dropHint: 'before' | 'after' | null;
  onOpen: (task: Task) => void;
};

/** A card that can be dragged (pointer or keyboard) and sorted. Enter opens it, Space picks it up. */
export const SortableTaskCard = memo(function SortableTaskCard({ task, run, activity, status, dropHint, onOpen }: SortableProps) {
  const { attributes, listeners, setNodeRef, transform, transition, isDragging } = useSortable({
    id: task.id,
    data: { type: 'card', status },
  });
  const style: CSSProperties = { transform: CSS.Translate.toString(transform), transition };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Enter' && !isDragging && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      onOpen(task);
      return;
    }
    listeners?.onKeyDown?.(e);
  };
  const classes = [isDragging ? 'card-dragging' : '', dropHint ? `card-drop-${dropHint}` : ''].join(' ');
  return (
    <TaskCardView
      task={task}
      run={run}
      activity={activity}
      nodeRef={setNodeRef}
      style={style}
      className={classes}
      {...attributes}
      {...listeners}
      aria-label={`${task.title} (#${shortId(task.id)})${run ? `, ${run.agent}: ${RUN_STATUS_LABELS[run.status]}` : ''}`}
      onKeyDown={onKeyDown}
      onClick={() => onOpen(task)}
    />
  );
});
