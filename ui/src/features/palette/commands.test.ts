import { describe, expect, it, vi } from 'vitest';
import type { Project, Run, Task, TaskStatus } from '../../api/generated/types';
import { emptyColumns, type Columns } from '../board/logic';
import { buildCommands, type PaletteActions, type PaletteContext } from './commands';
import { rank } from './fuzzy';
import { SHORTCUTS } from '../shortcuts/shortcuts';

const project = (id: string, name: string) => ({ id, name }) as Project;
const task = (id: string, title: string, status: TaskStatus = 'todo') => ({ id, title, status, description: '' }) as Task;
const run = (taskId: string, status: Run['status']) => ({ id: `run-${taskId}`, task_id: taskId, status }) as Run;

function actions(): PaletteActions {
  return {
    newTask: vi.fn(),
    focusSearch: vi.fn(),
    addProject: vi.fn(),
    projectSettings: vi.fn(),
    settings: vi.fn(),
    disk: vi.fn(),
    inbox: vi.fn(),
    help: vi.fn(),
    selectProject: vi.fn(),
    openTask: vi.fn(),
    startRun: vi.fn(),
    stopRun: vi.fn(),
    focusTerminal: vi.fn(),
    toggleTiles: vi.fn(),
    setTheme: vi.fn(),
  };
}

const login = task('0190aaaa-0000-7000-8000-00000000a1b2', 'Fix the login form');
const docs = task('0190aaaa-0000-7000-8000-00000000c3d4', 'Write the docs', 'in_progress');
const columns: Columns = { ...emptyColumns(), todo: [login], in_progress: [docs] };

function context(over: Partial<PaletteContext> = {}): PaletteContext {
  return {
    projects: [project('p1', 'Website'), project('p2', 'Backend')],
    projectId: 'p1',
    columns,
    runs: new Map(),
    target: null,
    hasTerminal: false,
    theme: 'system',
    actions: actions(),
    ...over,
  };
}

const ids = (ctx: PaletteContext) => buildCommands(ctx).map((c) => c.id);

describe('buildCommands', () => {
  it('lists the actions, the other projects and every task', () => {
    const list = ids(context());
    expect(list).toEqual(
      expect.arrayContaining(['new-task', 'search', 'settings', 'project-settings', 'add-project', 'disk', 'help', 'theme-toggle', 'theme-light', 'theme-dark']),
    );
    expect(list).toContain('project:p2');
    expect(list).not.toContain('project:p1');
    expect(list).not.toContain('theme-system');
    expect(list).toContain(`task:${login.id}`);
    expect(list).toContain(`task:${docs.id}`);
    expect(list).not.toContain('start-run');
    expect(list).not.toContain('focus-terminal');
  });

  it('has no project actions without a project', () => {
    const list = ids(context({ projectId: null, columns: null }));
    expect(list).not.toContain('new-task');
    expect(list).not.toContain('project-settings');
    expect(list).toContain('add-project');
  });

  it('offers Start on a task without an active run, Stop on one with', () => {
    expect(ids(context({ target: login }))).toEqual(expect.arrayContaining(['open-target', 'start-run']));
    expect(ids(context({ target: login }))).not.toContain('stop-run');
    const busy = context({ target: docs, runs: new Map([[docs.id, run(docs.id, 'running')]]) });
    expect(ids(busy)).toContain('stop-run');
    expect(ids(busy)).not.toContain('start-run');
    const done = context({ target: docs, runs: new Map([[docs.id, run(docs.id, 'succeeded')]]) });
    expect(ids(done)).toContain('start-run');
  });

  it('runs the right action', () => {
    const ctx = context({ target: docs, runs: new Map([[docs.id, run(docs.id, 'running')]]), hasTerminal: true });
    const byId = new Map(buildCommands(ctx).map((c) => [c.id, c]));
    byId.get('project:p2')?.run();
    expect(ctx.actions.selectProject).toHaveBeenCalledWith('p2');
    byId.get(`task:${login.id}`)?.run();
    expect(ctx.actions.openTask).toHaveBeenCalledWith(login);
    byId.get('stop-run')?.run();
    expect(ctx.actions.stopRun).toHaveBeenCalledWith(docs, `run-${docs.id}`);
    byId.get('theme-toggle')?.run();
    expect(ctx.actions.setTheme).toHaveBeenCalledWith('dark');
    byId.get('focus-terminal')?.run();
    expect(ctx.actions.focusTerminal).toHaveBeenCalled();
    byId.get('tiles')?.run();
    expect(ctx.actions.toggleTiles).toHaveBeenCalled();
  });

  it('shows the keys the ? overlay lists, Tiles included', () => {
    const ctx = context({ target: login, hasTerminal: true });
    const byId = new Map(buildCommands(ctx).map((c) => [c.id, c]));
    expect(byId.get('tiles')?.keys).toBe('Ctrl+Shift+G');
    for (const s of SHORTCUTS) {
      if (s.command) expect(byId.get(s.command)?.keys, s.command).toBe(s.keys.join('+'));
    }
    expect(byId.get(`task:${login.id}`)?.keys).toBe('#0000a1b2');
  });

  it('finds a task by title or by the #id shown on its card', () => {
    const commands = buildCommands(context());
    const find = (q: string) => rank(commands, q, (c) => c.title, (c) => c.keywords ?? '').map((r) => r.item.id);
    expect(find('login')[0]).toBe(`task:${login.id}`);
    expect(find('#0000c3d4')[0]).toBe(`task:${docs.id}`);
    expect(find('backend')[0]).toBe('project:p2');
    expect(find('light')[0]).toBe('theme-light');
  });
});
