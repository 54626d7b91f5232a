import { useCallback, useEffect, useRef } from 'react';
import { agentsApi } from '../../api/agents';
import { agentName } from '../../lib/format';

/** Agent ids to their names (`GET /api/agents` once; an id stays an id until the list arrives). */
export function useAgentNames(live: boolean): (id: string) => string {
  const names = useRef<ReadonlyMap<string, string>>(new Map());
  useEffect(() => {
    if (!live) return;
    let cancelled = false;
    agentsApi
      .list()
      .then((list) => {
        if (!cancelled) names.current = new Map(list.map((a) => [a.id, a.name]));
      })
      .catch(() => {});
    return () => {
      cancelled = true;
    };
  }, [live]);
  return useCallback((id: string) => agentName(names.current, id), []);
}
