import { describe, expect, it } from 'vitest';
import type { TaskEvent } from '../../api/generated/types';
import { describeEvent, humaniseKind } from './history';

const ev = (kind: string, data: unknown): TaskEvent => ({ id: 1, task_id: 't', kind, data, at: '2026-01-01T10:00:00Z' });

describe('describeEvent', () => {
  it('shows from → to with status labels', () => {
    expect(describeEvent(ev('status_changed', { from: 'todo', to: 'in_progress' }))).toBe(
      'Status changed: Todo → In Progress',
    );
  });

  it('lists changed fields', () => {
    expect(describeEvent(ev('updated', { title: { from: 'a', to: 'b' }, description: { from: '', to: 'x' } }))).toBe(
      'Updated: title, description',
    );
    expect(describeEvent(ev('moved', { status: { from: 'todo', to: 'done' }, position: 3 }))).toBe(
      'Moved: status Todo → Done',
    );
  });

  it('reads the server\'s created and moved events', () => {
    expect(describeEvent(ev('created', { status: 'todo', title: 'A' }))).toBe('Created in Todo');
    expect(describeEvent(ev('moved', { from: 'todo', to: 'done', index: 0 }))).toBe('Moved: Todo → Done, position 1');
    expect(describeEvent(ev('moved', { from: 'done', to: 'done', index: 2 }))).toBe('Moved: within Done, position 3');
    expect(describeEvent(ev('updated', { description: { changed: true } }))).toBe('Updated: description');
  });

  it('handles bare kinds and odd data', () => {
    expect(describeEvent(ev('created', null))).toBe('Created');
    expect(describeEvent(ev('created', [1, 2]))).toBe('Created');
    expect(humaniseKind('')).toBe('Event');
  });
});
