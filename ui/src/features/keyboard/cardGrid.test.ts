import { describe, expect, it } from 'vitest';
import type { Task, TaskStatus } from '../../api/generated/types';
import { emptyColumns, type Columns } from '../board/logic';
import { firstCard, nextCard, positionOf } from './cardGrid';

const task = (id: string, status: TaskStatus): Task =>
  ({ id, title: id, description: '', status, position: 0, project_id: 'p', created_at: '', updated_at: '' }) as unknown as Task;

function board(spec: Partial<Record<TaskStatus, string[]>>): Columns {
  const columns = { ...emptyColumns() } as Record<TaskStatus, readonly Task[]>;
  for (const [status, ids] of Object.entries(spec) as [TaskStatus, string[]][]) columns[status] = ids.map((id) => task(id, status));
  return columns;
}

// Todo: a1 a2 a3 | In Progress: (empty) | In Review: c1 | Done: d1 d2 | Cancelled: (empty)
const columns = board({ todo: ['a1', 'a2', 'a3'], in_review: ['c1'], done: ['d1', 'd2'] });

describe('card navigation', () => {
  it('starts on the first card of the first column with cards', () => {
    expect(firstCard(columns)).toBe('a1');
    expect(firstCard(board({ done: ['d1'] }))).toBe('d1');
    expect(firstCard(board({}))).toBeNull();
    expect(nextCard(columns, null, 'down')).toBe('a1');
    expect(nextCard(columns, 'gone', 'right')).toBe('a1');
    expect(nextCard(board({}), null, 'down')).toBeNull();
  });

  it('moves up and down within a column and stops at its ends', () => {
    expect(nextCard(columns, 'a1', 'down')).toBe('a2');
    expect(nextCard(columns, 'a3', 'down')).toBe('a3');
    expect(nextCard(columns, 'a2', 'up')).toBe('a1');
    expect(nextCard(columns, 'a1', 'up')).toBe('a1');
    expect(nextCard(columns, 'a2', 'last')).toBe('a3');
    expect(nextCard(columns, 'a3', 'first')).toBe('a1');
  });

  it('moves across columns, skipping empty ones and keeping the row where it can', () => {
    expect(nextCard(columns, 'a1', 'right')).toBe('c1');
    expect(nextCard(columns, 'a3', 'right')).toBe('c1');
    expect(nextCard(columns, 'c1', 'right')).toBe('d1');
    expect(nextCard(columns, 'd2', 'left')).toBe('c1');
    expect(nextCard(columns, 'c1', 'left')).toBe('a1');
    expect(nextCard(board({ todo: ['a1', 'a2', 'a3'], done: ['d1', 'd2', 'd3'] }), 'a2', 'right')).toBe('d2');
  });

  it('stays at the outer columns', () => {
    expect(nextCard(columns, 'a2', 'left')).toBe('a2');
    expect(nextCard(columns, 'd1', 'right')).toBe('d1');
  });

  it('finds a card by id', () => {
    expect(positionOf(columns, 'd2')).toEqual({ status: 'done', index: 1 });
    expect(positionOf(columns, 'nope')).toBeNull();
    expect(positionOf(columns, null)).toBeNull();
  });
});
