// Runs finishing or waiting for input, in the project on screen: a toast that opens the task when clicked (a
// waiting run's toast has a reply box that answers the agent), and the same events as browser notifications
// (headless mode only; the desktop app notifies natively).
import { useCallback, useRef } from 'react';
import { errorMessage } from '../api/client';
import { getTask } from '../api/tasks';
import type { Task } from '../api/generated/types';
import { sendReply } from '../features/attention/reply';
import { useAgentNames } from '../features/attention/useAgentNames';
import { useBrowserNotifications } from '../features/attention/useBrowserNotifications';
import { findTask, type Columns } from '../features/board/logic';
import { noticeMessage, noticeToastKind, type RunNotice } from '../features/board/runs';
import { useToast } from '../features/toasts/ToastProvider';
import { shortId } from '../lib/format';

type Args = {
  live: boolean;
  projectId: string | null;
  columns: Columns | null;
  selectProject: (id: string | null) => void;
  openTask: (task: Task) => void;
};

export function useRunNotices({ live, projectId, columns, selectProject, openTask }: Args) {
  // Opens a task's panel from outside the board (a run toast): from the board when it holds the task, else fetched.
  // The user may have switched projects since the toast appeared: go back to the task's project first.
  const notify = useToast();
  const boardColumnsRef = useRef(columns);
  boardColumnsRef.current = columns;
  const projectIdRef = useRef(projectId);
  projectIdRef.current = projectId;
  const openTaskById = useCallback(
    (taskId: string, taskProjectId: string) => {
      const sameProject = taskProjectId === projectIdRef.current;
      if (!sameProject) selectProject(taskProjectId);
      const held = sameProject && boardColumnsRef.current ? findTask(boardColumnsRef.current, taskId) : null;
      if (held) {
        openTask(held.task);
        return;
      }
      getTask(taskId)
        .then(openTask)
        .catch((e: unknown) => notify('error', `Cannot open the task: ${errorMessage(e)}`));
    },
    [notify, selectProject, openTask],
  );

  const agentName = useAgentNames(live);
  const browserNotifications = useBrowserNotifications();
  const { notify: notifyBrowser } = browserNotifications;
  const onRunNotice = useCallback(
    (notice: RunNotice) => {
      const held = boardColumnsRef.current ? findTask(boardColumnsRef.current, notice.taskId) : null;
      const title = held ? held.task.title : `#${shortId(notice.taskId)}`;
      notifyBrowser(notice, title, agentName, () => openTaskById(notice.taskId, notice.projectId));
      notify(noticeToastKind(notice), noticeMessage(notice, title, agentName), {
        onClick: () => openTaskById(notice.taskId, notice.projectId),
        reply: notice.kind === 'waiting' ? { label: 'Answer', send: (text) => sendReply(notice.runId, text) } : undefined,
      });
    },
    [notify, openTaskById, agentName, notifyBrowser],
  );
  return { openTaskById, onRunNotice, agentName, notificationsPrompt: browserNotifications.prompt };
}
