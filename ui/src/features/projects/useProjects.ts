import { useCallback } from 'react';
import type { Project } from '../../api/generated/types';
import { UnauthorizedError, errorMessage } from '../../api/client';
import { useLiveResource } from '../connection/useLiveResource';
import { listProjects } from '../../api/projects';

export type ProjectsApi = {
  /** null until the first answer. */
  projects: Project[] | null;
  error: string | null;
  scheduleReload: () => void;
  reloadNow: () => void;
  /** Adds a project the dialog just created, before the refetch confirms it. */
  addLocal: (project: Project) => void;
  /** Drops a project the settings dialog just removed, before the refetch confirms it. */
  removeLocal: (id: string) => void;
};

const byName = (a: Project, b: Project) => a.name.localeCompare(b.name);

/** The one list there is: a constant key. */
const ALL = 'all';

export function useProjects(): ProjectsApi {
  const resource = useLiveResource({
    key: ALL,
    fetch: () => listProjects(),
    accept: (list: Project[]) => list,
    // Signed out: the app shows the sign-in screen instead.
    toError: (e) => (e instanceof UnauthorizedError ? null : errorMessage(e)),
    debounceMs: 50,
  });

  const { update } = resource;
  const addLocal = useCallback(
    (project: Project) => update((list) => [...(list ?? []).filter((p) => p.id !== project.id), project].sort(byName)),
    [update],
  );

  const removeLocal = useCallback((id: string) => update((list) => (list ?? []).filter((p) => p.id !== id)), [update]);

  return {
    projects: resource.value,
    error: resource.error,
    scheduleReload: resource.scheduleReload,
    reloadNow: resource.reloadNow,
    addLocal,
    removeLocal,
  };
}
