import { describe, expect, it } from 'vitest';
import type { Task, TaskStatus } from '../../api/generated/types';
import { applyMove, columnsFromBoard, emptyColumns, filterColumns, firstLine, placementWithinColumn, removeTask, replaceTask, resolveDrop, type Columns } from './logic';
import { shortId } from '../../lib/format';

function task(id: string, status: TaskStatus = 'todo', title = id, description = ''): Task {
  return {
    id,
    project_id: 'p',
    title,
    description,
    status,
    position: id,
    parent_id: null,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
  };
}

function cols(spec: Partial<Record<TaskStatus, string[]>>): Columns {
  const c: Record<TaskStatus, Task[]> = { todo: [], in_progress: [], in_review: [], done: [], cancelled: [] };
  for (const [status, ids] of Object.entries(spec) as [TaskStatus, string[]][]) c[status] = ids.map((id) => task(id, status));
  return c;
}

const ids = (c: Columns, s: TaskStatus) => c[s].map((t) => t.id);

describe('columnsFromBoard', () => {
  it('fills missing statuses and keeps order', () => {
    const c = columnsFromBoard([{ status: 'done', tasks: [task('a', 'done')] }]);
    expect(ids(c, 'done')).toEqual(['a']);
    expect(c.todo).toEqual([]);
    expect(Object.keys(c)).toEqual(['todo', 'in_progress', 'in_review', 'done', 'cancelled']);
  });
});

describe('resolveDrop', () => {
  const c = cols({ todo: ['a', 'b', 'c', 'd'], in_progress: ['x', 'y'] });

  it('moving down within a column lands after the anchor', () => {
    // a over c (moving down) → [b, c, a, d]: index 2 without a.
    expect(resolveDrop(c, 'a', { status: 'todo', anchorId: 'c', place: 'after' })).toEqual({ status: 'todo', index: 2 });
  });

  it('moving up within a column lands before the anchor', () => {
    expect(resolveDrop(c, 'd', { status: 'todo', anchorId: 'b', place: 'before' })).toEqual({ status: 'todo', index: 1 });
  });

  it('gives null for a drop that changes nothing', () => {
    expect(resolveDrop(c, 'b', { status: 'todo', anchorId: 'a', place: 'after' })).toBeNull();
    expect(resolveDrop(c, 'b', { status: 'todo', anchorId: 'c', place: 'before' })).toBeNull();
    expect(resolveDrop(c, 'b', { status: 'todo', anchorId: 'b', place: 'before' })).toBeNull();
    expect(resolveDrop(c, 'd', { status: 'todo', anchorId: null, place: 'after' })).toBeNull();
  });

  it('across columns counts the target column as is', () => {
    expect(resolveDrop(c, 'b', { status: 'in_progress', anchorId: 'x', place: 'before' })).toEqual({
      status: 'in_progress',
      index: 0,
    });
    expect(resolveDrop(c, 'b', { status: 'in_progress', anchorId: 'x', place: 'after' })).toEqual({
      status: 'in_progress',
      index: 1,
    });
    expect(resolveDrop(c, 'b', { status: 'in_progress', anchorId: 'y', place: 'after' })).toEqual({
      status: 'in_progress',
      index: 2,
    });
  });

  it('dropping on a column body goes to its end, an empty column to 0', () => {
    expect(resolveDrop(c, 'a', { status: 'in_progress', anchorId: null, place: 'after' })).toEqual({
      status: 'in_progress',
      index: 2,
    });
    expect(resolveDrop(c, 'a', { status: 'done', anchorId: null, place: 'after' })).toEqual({ status: 'done', index: 0 });
    expect(resolveDrop(c, 'a', { status: 'todo', anchorId: null, place: 'after' })).toEqual({ status: 'todo', index: 3 });
  });

  it('maps anchors from a filtered view onto the full column', () => {
    // The view shows only a and d; dropping x after a must land at index 1 of the full todo column.
    expect(resolveDrop(c, 'x', { status: 'todo', anchorId: 'a', place: 'after' })).toEqual({ status: 'todo', index: 1 });
    // d moved before a in a view of [a, d] → full column index 0.
    expect(resolveDrop(c, 'd', { status: 'todo', anchorId: 'a', place: 'before' })).toEqual({ status: 'todo', index: 0 });
  });

  it('ignores unknown tasks', () => {
    expect(resolveDrop(c, 'nope', { status: 'todo', anchorId: 'a', place: 'before' })).toBeNull();
  });
});

describe('placementWithinColumn', () => {
  it('follows the drag direction', () => {
    expect(placementWithinColumn(0, 2)).toBe('after');
    expect(placementWithinColumn(3, 1)).toBe('before');
  });
});

describe('applyMove', () => {
  const c = cols({ todo: ['a', 'b', 'c'], in_progress: ['x'] });

  it('moves within a column', () => {
    const next = applyMove(c, 'a', { status: 'todo', index: 2 });
    expect(ids(next, 'todo')).toEqual(['b', 'c', 'a']);
    expect(ids(c, 'todo')).toEqual(['a', 'b', 'c']); // input untouched
  });

  it('moves across columns and updates the status', () => {
    const next = applyMove(c, 'b', { status: 'in_progress', index: 1 });
    expect(ids(next, 'todo')).toEqual(['a', 'c']);
    expect(ids(next, 'in_progress')).toEqual(['x', 'b']);
    expect(next.in_progress[1]?.status).toBe('in_progress');
    expect(next.done).toBe(c.done); // untouched columns are shared
  });

  it('clamps the index and agrees with resolveDrop', () => {
    const target = resolveDrop(c, 'c', { status: 'todo', anchorId: 'a', place: 'before' });
    expect(target).not.toBeNull();
    expect(ids(applyMove(c, 'c', target!), 'todo')).toEqual(['c', 'a', 'b']);
    expect(ids(applyMove(c, 'a', { status: 'done', index: 99 }), 'done')).toEqual(['a']);
  });

  it('returns the same columns for an unknown task', () => {
    expect(applyMove(c, 'zzz', { status: 'done', index: 0 })).toBe(c);
  });
});

describe('replaceTask / removeTask', () => {
  const c = cols({ todo: ['a', 'b'], done: ['z'] });

  it('replaces in place, or moves to the top of a new status', () => {
    expect(replaceTask(c, { ...task('b'), title: 'B!' }).todo[1]?.title).toBe('B!');
    const moved = replaceTask(c, task('b', 'done'));
    expect(ids(moved, 'done')).toEqual(['b', 'z']);
    expect(ids(moved, 'todo')).toEqual(['a']);
  });

  it('removes', () => {
    expect(ids(removeTask(c, 'a'), 'todo')).toEqual(['b']);
  });
});

describe('filterColumns', () => {
  const c: Columns = {
    ...emptyColumns(),
    todo: [task('1', 'todo', 'Fix Login bug'), task('2', 'todo', 'Write docs', 'Mention the LOGIN flow')],
    done: [task('3', 'done', 'Release')],
  };

  it('matches title or description case-insensitively', () => {
    const f = filterColumns(c, '  login ');
    expect(ids(f, 'todo')).toEqual(['1', '2']);
    expect(f.done).toEqual([]);
  });

  it('matches the #id shown on cards', () => {
    const withIds: Columns = {
      ...emptyColumns(),
      todo: [task('0b1c2d3e-aaaa-bbbb-cccc-0123456789ab', 'todo', 'One'), task('0b1c2d3e-aaaa-bbbb-cccc-fedcba987654', 'todo', 'Two')],
    };
    // shortId: the last 8 hex digits.
    expect(ids(filterColumns(withIds, '#456789ab'), 'todo')).toEqual(['0b1c2d3e-aaaa-bbbb-cccc-0123456789ab']);
    expect(ids(filterColumns(withIds, '#BA98'), 'todo')).toEqual(['0b1c2d3e-aaaa-bbbb-cccc-fedcba987654']);
    expect(ids(filterColumns(withIds, '456789'), 'todo')).toEqual(['0b1c2d3e-aaaa-bbbb-cccc-0123456789ab']);
    // Short words without # do not match ids.
    expect(ids(filterColumns(withIds, 'ba9'), 'todo')).toEqual([]);
  });

  it('returns the same object for an empty query', () => {
    expect(filterColumns(c, '   ')).toBe(c);
  });

  it('filters 10,000 tasks', () => {
    const big: Columns = {
      ...emptyColumns(),
      todo: Array.from({ length: 10_000 }, (_, i) => task(`t${i}`, 'todo', `Task number ${i}`, `body ${i % 7}`)),
    };
    const f = filterColumns(big, 'number 99');
    expect(f.todo.length).toBe(111); // 99, 990–999, 9900–9999
    expect(f.todo[0]?.id).toBe('t99');
  });
});

describe('display helpers', () => {
  it('shortId takes the random tail, so tasks made together differ', () => {
    expect(shortId('01a20636-3503-730f-b0b6-58f71933291e')).toBe('1933291e');
    expect(shortId('01a20636-3504-7aaa-8bbb-000000000001')).not.toBe(shortId('01a20636-3503-730f-b0b6-58f71933291e'));
  });

  it('firstLine skips blank lines and markdown markers', () => {
    expect(firstLine('\n\n## Goal\nmore')).toBe('Goal');
    expect(firstLine('- item one')).toBe('item one');
    expect(firstLine('')).toBe('');
    expect(firstLine('x'.repeat(200), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(firstLine('Some **bold** and `code`, see [docs](http://x) ~~old~~')).toBe('Some bold and code, see docs old');
    expect(firstLine('snake_case_name stays')).toBe('snake_case_name stays');
  });
});
