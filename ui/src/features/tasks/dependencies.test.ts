import { describe, expect, it } from 'vitest';
import type { Task, TaskDependencies } from '../../api/generated/types';
import { blockedReason, blockerChoices } from './dependencies';

const link = (id: string, title: string, status: Task['status']) => ({ id, title, status });
const deps = (extra: Partial<TaskDependencies>): TaskDependencies => ({
  blockers: [],
  dependents: [],
  blocked: false,
  auto_start: null,
  ...extra,
});
const task = (id: string, status: Task['status'] = 'todo'): Task => ({
  id,
  project_id: 'p',
  title: id,
  description: '',
  status,
  position: 'a',
  parent_id: null,
  created_at: '',
  updated_at: '',
});

describe('blockedReason', () => {
  it('is null when nothing blocks', () => {
    expect(blockedReason(null)).toBeNull();
    expect(blockedReason(deps({ blockers: [link('a', 'schema', 'done')] }))).toBeNull();
  });
  it('names only the blockers that are not Done', () => {
    const d = deps({ blocked: true, blockers: [link('0000000000000000000000000000aaaa', 'schema', 'in_progress'), link('b', 'done one', 'done')] });
    expect(blockedReason(d)).toBe('Blocked by #0000aaaa schema: it can start once they are Done.');
  });
});

describe('blockerChoices', () => {
  it('offers the other tasks, not itself, its blockers, its dependents or cancelled ones', () => {
    const all = [task('me'), task('a'), task('b'), task('c'), task('gone', 'cancelled')];
    const d = deps({ blockers: [link('a', 'a', 'todo')], dependents: [link('b', 'b', 'todo')] });
    expect(blockerChoices(task('me'), all, d).map((t) => t.id)).toEqual(['c']);
  });
});
