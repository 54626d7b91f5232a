// The change feed routed to what it changes: projects, the board, the project's runs and the waiting count.
import { useState } from 'react';
import type { LiveEvent } from '../api/client';
import type { RunActivity } from '../api/generated/types';
import { activityFromEvent } from '../features/board/runs';
import { useLiveEvents } from '../features/connection/useLiveEvents';

export type FeedTargets = {
  projectId: string | null;
  projects: { scheduleReload: () => void };
  board: { scheduleReload: () => void };
  projectRuns: { scheduleReload: () => void; applyActivity: (frame: RunActivity) => void };
  /** Every run_activity frame, of any project (the waiting count in the title covers them all). */
  onActivity: (frame: RunActivity) => void;
};

/** Opens the feed while `live`; gives its connection state and the database's (anything but `ready` is a banner). */
export function useFeedRouting({ projectId, projects, board, projectRuns, onActivity }: FeedTargets, live: boolean) {
  const [database, setDatabase] = useState('ready');
  const onEvent = (event: LiveEvent) => {
    if (event.type === 'status') setDatabase(event.database);
    if (event.type === 'run_activity') {
      onActivity(activityFromEvent(event));
      if (event.project_id === projectId) projectRuns.applyActivity(activityFromEvent(event));
      return;
    }
    if (event.type !== 'change') return;
    const inThisProject = event.project_id === null || event.project_id === projectId;
    if (event.table === 'project') {
      projects.scheduleReload();
      if (event.id === projectId) board.scheduleReload();
    } else if (event.table === 'run') {
      // A run's status or files changed; the task moves it causes arrive as task changes of their own.
      if (inThisProject) projectRuns.scheduleReload();
    } else if (inThisProject) {
      board.scheduleReload();
    }
  };
  const onResync = () => {
    projects.scheduleReload();
    board.scheduleReload();
    projectRuns.scheduleReload();
  };
  const connection = useLiveEvents({ onEvent, onResync }, live);
  return { connection, database };
}
