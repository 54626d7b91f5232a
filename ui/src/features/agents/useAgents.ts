import { useCallback, useEffect, useRef, useState } from 'react';
import type { AgentInfo } from '../../api/generated/types';
import { errorMessage } from '../../api/client';
import { agentsApi } from '../../api/agents';

export type AgentsList = {
  agents: AgentInfo[] | null;
  error: string | null;
  /** A re-detection (`POST /api/agents/detect`) is running (it can take seconds). */
  detecting: boolean;
  redetect: () => void;
  reload: () => void;
  /** The list a save answered with (it reflects the new file). */
  replace: (agents: AgentInfo[]) => void;
};

/** `GET /api/agents` on mount; the newest request wins, so a slow load never overwrites a re-detection or a save. */
export function useAgents(): AgentsList {
  const [agents, setAgents] = useState<AgentInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [detecting, setDetecting] = useState(false);
  const latest = useRef(0);

  const fetchAgents = useCallback(async (refresh: boolean) => {
    const request = ++latest.current;
    setError(null);
    setDetecting(refresh);
    try {
      const list = await (refresh ? agentsApi.detect() : agentsApi.list());
      if (request === latest.current) setAgents(list);
    } catch (e) {
      if (request === latest.current) setError(errorMessage(e));
    } finally {
      if (request === latest.current) setDetecting(false);
    }
  }, []);

  useEffect(() => {
    void fetchAgents(false);
    // Answers arriving after the dialog closed are dropped.
    return () => void (latest.current += 1);
  }, [fetchAgents]);

  const replace = useCallback((list: AgentInfo[]) => {
    latest.current += 1;
    setAgents(list);
    setError(null);
    setDetecting(false);
  }, []);

  return {
    agents,
    error,
    detecting,
    redetect: useCallback(() => void fetchAgents(true), [fetchAgents]),
    reload: useCallback(() => void fetchAgents(false), [fetchAgents]),
    replace,
  };
}
