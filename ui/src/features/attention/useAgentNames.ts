import { useCallback, useEffect, useState } from 'react';
import { agentsApi } from '../../api/agents';
import { agentName } from '../../lib/format';

/** Agent ids to their names (`GET /api/agents` once; an id stays an id until the list arrives). */
export function useAgentNames(live: boolean): (id: string) => string {
  // State, not a ref: what was drawn with the ids before the names came is drawn again with the names.
  const [names, setNames] = useState<ReadonlyMap<string, string>>(() => new Map());
  useEffect(() => {
    if (!live) return;
    let cancelled = false;
    agentsApi
      .list()
      .then((list) => {
        if (!cancelled) setNames(new Map(list.map((a) => [a.id, a.name])));
      })
      .catch(() => {});
    return () => {
      cancelled = true;
    };
  }, [live]);
  return useCallback((id: string) => agentName(names, id), [names]);
}
