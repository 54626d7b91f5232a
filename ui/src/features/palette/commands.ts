// Every action of the command palette, built from what is on screen (pure, so the list is unit-tested).
import type { Project, Task } from '../../api/generated/types';
import { STATUSES, STATUS_LABELS, type Columns } from '../board/logic';
import type { RunsByTask } from '../board/runs';
import { commandKeys } from '../shortcuts/shortcuts';
import { THEME_LABELS, THEME_PREFERENCES, type ThemePreference } from '../theme/theme';
import { isActive, shortId } from '../../lib/format';

export type CommandGroup = 'Action' | 'Run' | 'Theme' | 'Project' | 'Task';

export type Command = {
  id: string;
  title: string;
  group: CommandGroup;
  /** The shortcut that does the same, shown beside it (from the `?` overlay's table, features/shortcuts). */
  keys?: string;
  /** Also matched, never shown highlighted (a task's #id, its status). */
  keywords?: string;
  run: () => void;
};

export type PaletteActions = {
  newTask: () => void;
  focusSearch: () => void;
  addProject: () => void;
  projectSettings: () => void;
  settings: () => void;
  disk: () => void;
  inbox: () => void;
  help: () => void;
  selectProject: (id: string) => void;
  openTask: (task: Task) => void;
  startRun: (task: Task) => void;
  stopRun: (task: Task, runId: string) => void;
  focusTerminal: () => void;
  /** Shows or hides the Tiles view (as Ctrl+Shift+G does). */
  toggleTiles: () => void;
  setTheme: (preference: ThemePreference) => void;
};

export type PaletteContext = {
  projects: readonly Project[];
  projectId: string | null;
  /** The whole board of the current project (every task can be opened, even when the search hides it). */
  columns: Columns | null;
  runs: RunsByTask;
  /** The card that had the focus, else the open task: what Start / Stop act on. */
  target: Task | null;
  /** A terminal is on screen. */
  hasTerminal: boolean;
  theme: ThemePreference;
  actions: PaletteActions;
};

const quote = (title: string) => `“${title.length > 60 ? `${title.slice(0, 59)}…` : title}”`;

export function buildCommands(ctx: PaletteContext): Command[] {
  const { actions: a, target } = ctx;
  const current = ctx.projects.find((p) => p.id === ctx.projectId) ?? null;
  const out: Command[] = [];
  // A command's keys are the shortcut table's, so the palette and the `?` overlay say the same.
  const add = (c: Command | false | null) => {
    if (!c) return;
    const keys = c.keys ?? commandKeys(c.id);
    out.push(keys === undefined ? c : { ...c, keys });
  };

  add(current !== null && { id: 'new-task', title: 'New task', group: 'Action', run: a.newTask });
  add(current !== null && { id: 'search', title: 'Search tasks', group: 'Action', run: a.focusSearch });

  const run = target ? ctx.runs.get(target.id) : undefined;
  const running = run !== undefined && isActive(run.status);
  if (target) {
    add({ id: 'open-target', title: `Open ${quote(target.title)}`, group: 'Task', run: () => a.openTask(target) });
    add(!running && { id: 'start-run', title: `Start a run on ${quote(target.title)} with the last agent`, group: 'Run', run: () => a.startRun(target) });
    add(running && run && { id: 'stop-run', title: `Stop the run on ${quote(target.title)}`, group: 'Run', run: () => a.stopRun(target, run.id) });
  }
  add(ctx.hasTerminal && { id: 'focus-terminal', title: 'Focus the terminal', group: 'Run', run: a.focusTerminal });

  add({ id: 'settings', title: 'Open settings (agents, updates)', group: 'Action', keywords: 'preferences agents updates', run: a.settings });
  add(current !== null && { id: 'project-settings', title: `Project settings: ${current.name}`, group: 'Project', keywords: 'setup script remove', run: a.projectSettings });
  add({ id: 'add-project', title: 'Add a project…', group: 'Project', run: a.addProject });
  add({ id: 'tiles', title: 'Show / hide the Tiles view (agents’ terminals side by side)', group: 'Run', keywords: 'tiles cockpit terminals grid pin', run: a.toggleTiles });
  add({ id: 'disk', title: 'Disk usage of the worktrees', group: 'Action', keywords: 'cleanup', run: a.disk });
  add({ id: 'inbox', title: 'Inbox: everything waiting for you', group: 'Action', keywords: 'waiting review failed attention', run: a.inbox });
  add({ id: 'help', title: 'Show keyboard shortcuts', group: 'Action', keywords: 'help keys', run: a.help });

  const next = ctx.theme === 'dark' ? 'light' : 'dark';
  add({ id: 'theme-toggle', title: `Toggle theme (to ${THEME_LABELS[next]})`, group: 'Theme', keywords: 'dark light colour color', run: () => a.setTheme(next) });
  for (const p of THEME_PREFERENCES) {
    add(p !== ctx.theme && { id: `theme-${p}`, title: `Theme: ${THEME_LABELS[p]}`, group: 'Theme', keywords: p === 'system' ? 'follow system' : 'colour color', run: () => a.setTheme(p) });
  }

  for (const p of ctx.projects) {
    add(p.id !== ctx.projectId && { id: `project:${p.id}`, title: `Switch to project: ${p.name}`, group: 'Project', run: () => a.selectProject(p.id) });
  }

  if (ctx.columns) {
    for (const status of STATUSES) {
      for (const task of ctx.columns[status]) {
        add({
          id: `task:${task.id}`,
          title: `Open task: ${task.title}`,
          group: 'Task',
          keys: `#${shortId(task.id)}`,
          keywords: `#${shortId(task.id)} ${STATUS_LABELS[status]}`,
          run: () => a.openTask(task),
        });
      }
    }
  }
  return out;
}
