// The project on screen and its board: the projects list, the project picked (remembered across reloads), the
// board's columns, and a refresh of the list when the board disappears (the project was deleted elsewhere).
import { useCallback, useEffect, useState } from 'react';
import { useBoard } from '../features/board/useBoard';
import { pickProjectId, rememberProjectId, rememberedProjectId } from '../features/projects/selection';
import { useProjects } from '../features/projects/useProjects';

/** `onSwitch`: called on every pick (stable callback), to close what belonged to the project left. */
export function useProjectBoard(onSwitch: () => void) {
  const projects = useProjects();
  const [wantedId, setWantedId] = useState<string | null>(() => rememberedProjectId());
  const projectId = projects.projects ? pickProjectId(projects.projects, wantedId) : null;
  const board = useBoard(projectId);

  const selectProject = useCallback(
    (id: string | null) => {
      setWantedId(id);
      rememberProjectId(id);
      onSwitch();
    },
    [onSwitch],
  );

  const boardMissing = board.error?.code === 'not_found';
  const { reloadNow: reloadProjects } = projects;
  useEffect(() => {
    if (boardMissing) reloadProjects();
  }, [boardMissing, reloadProjects]);

  const currentProject = projects.projects?.find((p) => p.id === projectId) ?? null;
  return { projects, projectId, currentProject, board, boardMissing, selectProject };
}
