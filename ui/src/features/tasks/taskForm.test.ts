import { describe, expect, it } from 'vitest';
import type { Task } from '../../api/generated/types';
import { taskChanges } from './taskForm';

const task: Task = {
  id: 't',
  project_id: 'p',
  title: 'Title',
  description: 'Body',
  status: 'todo',
  position: 'a',
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
