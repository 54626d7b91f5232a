import { describe, expect, it } from 'vitest';
import { draftKey, isDirty, loadDraft, restoreDraft, storeDraft, type DraftStorage } from './draft';
import type { TaskForm } from './taskForm';

function memory(): DraftStorage & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  };
}

const server: TaskForm = { title: 'Fix login', description: 'old', status: 'todo' };

describe('task drafts', () => {
  it('keys drafts per project and task', () => {
    expect(draftKey('p1', 't1')).toBe('viban.draft.p1.t1');
    expect(draftKey('p1', null)).toBe('viban.draft.p1.new');
  });

  it('keeps only text worth keeping', () => {
    expect(isDirty({ title: '  ', description: '', status: 'todo' }, null)).toBe(false);
    expect(isDirty({ title: '', description: 'notes', status: 'todo' }, null)).toBe(true);
    expect(isDirty(server, server)).toBe(false);
    expect(isDirty({ ...server, description: 'new' }, server)).toBe(true);
  });

  it('stores a dirty draft, forgets a clean one, and round-trips', () => {
    const s = memory();
    const key = draftKey('p', 't');
    storeDraft(key, { form: { ...server, description: 'typed' }, base: server }, s);
    expect(loadDraft(key, s)).toEqual({ form: { ...server, description: 'typed' }, base: server });
    storeDraft(key, { form: server, base: server }, s);
    expect(s.map.has(key)).toBe(false);
  });

  it('ignores a malformed stored draft', () => {
    const s = memory();
    s.setItem('k', '{"form":{"title":1}}');
    expect(loadDraft('k', s)).toBeNull();
    s.setItem('k', 'not json');
    expect(loadDraft('k', s)).toBeNull();
  });

  it('restores edits over the task as it is now', () => {
    const draft = { form: { ...server, description: 'typed' }, base: server };
    // The task was renamed elsewhere meanwhile: the untouched title follows, the typed description stays.
    const now = { ...server, title: 'Fix login (renamed)' };
    expect(restoreDraft(draft, now)).toEqual({ ...now, description: 'typed' });
    // Saved elsewhere with the same text: nothing left to restore.
    expect(restoreDraft(draft, { ...server, description: 'typed' })).toBeNull();
    expect(restoreDraft(null, server)).toBeNull();
    expect(restoreDraft({ form: { title: 'New', description: '', status: 'todo' }, base: null }, null)).toEqual({
      title: 'New',
      description: '',
      status: 'todo',
    });
  });
});
