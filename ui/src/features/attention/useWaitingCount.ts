import { useCallback, useEffect, useRef, useState } from 'react';
import type { RunActivity } from '../../api/generated/types';
import type { RunsByTask } from '../board/runs';
import { applyWaitingFrame, pruneEnded, titleText, type WaitingRuns } from './attention';
import { setFaviconBadge } from './favicon';

const EMPTY: WaitingRuns = new Map();

/**
 * Counts the runs waiting for input (every project's `run_activity` frames) and shows the count in the tab title
 * and on the favicon. `runs`/`projectId`: the project on screen, whose ended runs stop counting.
 */
export function useWaitingCount(projectId: string | null, runs: RunsByTask): { onActivity: (frame: RunActivity) => void; count: number } {
  const [waiting, setWaiting] = useState<WaitingRuns>(EMPTY);
  const ref = useRef(waiting);
  const onActivity = useCallback((frame: RunActivity) => {
    const next = applyWaitingFrame(ref.current, frame);
    if (next === ref.current) return;
    ref.current = next;
    setWaiting(next);
  }, []);
  useEffect(() => {
    if (!projectId) return;
    const next = pruneEnded(ref.current, projectId, runs);
    if (next === ref.current) return;
    ref.current = next;
    setWaiting(next);
  }, [projectId, runs]);
  const count = waiting.size;
  useEffect(() => {
    document.title = titleText(count);
    setFaviconBadge(count);
  }, [count]);
  return { onActivity, count };
}
