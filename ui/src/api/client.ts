// The viban API client in one import: the transport and its errors (http.ts), the change feed's frames
// (events.ts) and one module per resource. Import a resource's calls from its module (`../api/tasks`), or
// everything from here.
import * as auth from './auth';
import * as projects from './projects';
import * as tasks from './tasks';

export * from './http';
export * from './events';
export * from './auth';
export * from './projects';
export * from './tasks';
export * from './runs';
export * from './agents';
export * from './review';
export * from './update';
export * from './worktrees';

/** The calls that were once all in this file, under their old names (for callers not yet on the resource modules). */
export const api = {
  health: auth.health,
  listProjects: projects.listProjects,
  createProject: projects.createProject,
  updateProject: projects.updateProject,
  deleteProject: projects.deleteProject,
  getBoard: projects.getBoard,
  createTask: tasks.createTask,
  getTask: tasks.getTask,
  taskEvents: tasks.taskEvents,
  updateTask: tasks.updateTask,
  deleteTask: tasks.deleteTask,
  ticket: auth.ticket,
  rotateToken: auth.rotateToken,
};
