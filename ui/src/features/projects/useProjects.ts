import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Project } from '../../api/generated/types';
import { UnauthorizedError, api, errorMessage } from '../../api/client';
import { debounce } from '../connection/debounce';

export type ProjectsApi = {
  /** null until the first answer. */
  projects: Project[] | null;
  error: string | null;
  scheduleReload: () => void;
  reloadNow: () => void;
  /** Adds a project the dialog just created, before the refetch confirms it. */
  addLocal: (project: Project) => void;
};

const byName = (a: Project, b: Project) => a.name.localeCompare(b.name);

export function useProjects(): ProjectsApi {
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const inflight = useRef(false);
  const again = useRef(false);

  const load = useCallback(async () => {
    if (inflight.current) {
      again.current = true;
      return;
    }
    inflight.current = true;
    try {
      do {
        again.current = false;
        try {
          setProjects(await api.listProjects());
          setError(null);
        } catch (e) {
          if (!(e instanceof UnauthorizedError)) setError(errorMessage(e));
        }
      } while (again.current);
    } finally {
      inflight.current = false;
    }
  }, []);

  const scheduler = useMemo(() => debounce(() => void load(), 50), [load]);

  useEffect(() => {
    void load();
    return () => scheduler.cancel();
  }, [load, scheduler]);

  const addLocal = useCallback((project: Project) => {
    setProjects((list) => [...(list ?? []).filter((p) => p.id !== project.id), project].sort(byName));
  }, []);

  const reloadNow = useCallback(() => void load(), [load]);

  return { projects, error, scheduleReload: scheduler, reloadNow, addLocal };
}
