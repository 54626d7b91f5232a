import { useEffect, useState } from 'react';
import type { TaskEvent } from '../../api/generated/types';
import { errorMessage } from '../../api/client';
import { describeEvent } from './history';
import { shortTime } from '../../lib/format';
import { taskEvents } from '../../api/tasks';

/** The task's history, oldest first, reloaded whenever `version` changes (e.g. after a save). */
export function TaskHistory({ taskId, version }: { taskId: string; version: string }) {
  const [events, setEvents] = useState<TaskEvent[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    taskEvents(taskId)
      .then((list) => live && (setEvents(list), setError(null)))
      .catch((e: unknown) => live && setError(errorMessage(e)));
    return () => {
      live = false;
    };
  }, [taskId, version]);

  return (
    <section className="history" aria-label="History">
      <h3>History</h3>
      {error && <p className="muted small">Could not load history: {error}</p>}
      {!error && events === null && <p className="muted small">Loading…</p>}
      {events && events.length === 0 && <p className="muted small">No history yet.</p>}
      {events && events.length > 0 && (
        <ol className="history-list">
          {events.map((ev) => (
            <li key={ev.id}>
              <time dateTime={ev.at} title={ev.at}>
                {shortTime(ev.at)}
              </time>
              <span>{describeEvent(ev)}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
