import { describe, expect, it } from 'vitest';
import type { Task } from '../../api/generated/types';
import { deleteQuestion, followServer, formOf, olderCopy, sameForm, taskChanges } from './taskForm';

const task: Task = {
  id: 't',
  project_id: 'p',
  title: 'Title',
  description: 'Body',
  status: 'todo',
  position: 'a',
  parent_id: null,
  created_at: '',
  updated_at: '',
};

describe('taskChanges', () => {
  it('is null when nothing changed', () => {
    expect(taskChanges(task, { title: 'Title', description: 'Body', status: 'todo' })).toBeNull();
  });

  it('sends only the changed fields', () => {
    expect(taskChanges(task, { title: 'New', description: 'Body', status: 'done' })).toEqual({ title: 'New', status: 'done' });
    expect(taskChanges(task, { title: 'Title', description: '', status: 'todo' })).toEqual({ description: '' });
  });
});

describe('followServer', () => {
  const base = formOf(task);

  it('takes the server values of fields the user did not edit', () => {
    const server = { title: 'Title', description: 'Body', status: 'in_progress' as const };
    expect(followServer(base, base, server)).toEqual(server);
  });

  it('keeps the fields the user edited', () => {
    const form = { title: 'Mine', description: 'Body', status: 'done' as const };
    const server = { title: 'Theirs', description: 'New body', status: 'in_review' as const };
    expect(followServer(form, base, server)).toEqual({ title: 'Mine', description: 'New body', status: 'done' });
  });

  it('sends nothing for a field that only followed the server', () => {
    const server = { ...task, status: 'in_review' as const, updated_at: 'later' };
    const form = followServer({ ...base, title: 'Renamed' }, base, formOf(server));
    expect(taskChanges(server, form)).toEqual({ title: 'Renamed' });
  });

  it('recognises an older copy of the task', () => {
    expect(olderCopy('2025-01-01T10:00:00Z', '2025-01-01T10:00:01Z')).toBe(true);
    expect(olderCopy('2025-01-01T10:00:01Z', '2025-01-01T10:00:01Z')).toBe(false);
    expect(olderCopy('', '2025-01-01T10:00:01Z')).toBe(false);
  });

  it('compares forms field by field', () => {
    expect(sameForm(base, { ...base })).toBe(true);
    expect(sameForm(base, { ...base, status: 'done' })).toBe(false);
  });

  it('says that deleting stops the running agents', () => {
    expect(deleteQuestion(0)).toBe('Delete this task?');
    expect(deleteQuestion(1)).toBe('Delete this task? This stops its running agent first.');
    expect(deleteQuestion(3)).toBe('Delete this task? This stops its 3 running agents first.');
  });
});
