import { describe, expect, it } from 'vitest';
import { countComments, pendingComments, placeComments, placedLine, selectionToDraft, sendReducer, upsertComment, type ReviewComment, type SendState } from './comments';

const c = (over: Partial<ReviewComment>): ReviewComment => ({
  id: 'c1',
  run_id: 'r1',
  path: 'src/a.ts',
  side: 'new',
  line: 3,
  line_text: 'const a = 1;',
  body: 'rename',
  resolved: false,
  sent_in_run: null,
  outdated: false,
  current_line: 3,
  created_at: '2025-01-01T00:00:01Z',
  updated_at: '2025-01-01T00:00:01Z',
  ...over,
});

describe('comment placement', () => {
  it('draws a current comment where its line is now (moved lines follow)', () => {
    expect(placedLine(c({ current_line: 7 }))).toBe(7);
    expect(placedLine(c({}))).toBe(3);
  });

  it('keeps an outdated comment at its old line, never dropping it', () => {
    const outdated = c({ id: 'o', outdated: true, current_line: null, line: 12 });
    expect(placedLine(outdated)).toBe(12);
    const placed = placeComments([outdated], 'src/a.ts');
    expect(placed).toEqual([{ side: 'additions', lineNumber: 12, metadata: { comments: [outdated] } }]);
    // Even when the server still finds the old text elsewhere, outdated wins: shown where it was made.
    expect(placedLine(c({ outdated: true, current_line: 40 }))).toBe(3);
  });

  it('groups comments per side and line, in line order, only for the file asked', () => {
    const a = c({ id: 'a', line: 5, current_line: 5, created_at: '2025-01-01T00:00:02Z' });
    const b = c({ id: 'b', line: 5, current_line: 5, created_at: '2025-01-01T00:00:01Z' });
    const old = c({ id: 'old', side: 'old', line: 5, current_line: 5 });
    const first = c({ id: 'f', line: 1, current_line: 1 });
    const other = c({ id: 'x', path: 'b.ts' });
    const placed = placeComments([a, b, old, first, other], 'src/a.ts');
    expect(placed.map((p) => [p.side, p.lineNumber, p.metadata.comments.map((x) => x.id)])).toEqual([
      ['additions', 1, ['f']],
      ['additions', 5, ['b', 'a']],
      ['deletions', 5, ['old']],
    ]);
  });

  it('can hide resolved comments; counts total, unresolved and outdated', () => {
    const list = [c({ id: 'a', resolved: true }), c({ id: 'b', outdated: true }), c({ id: 'c', path: 'z' })];
    expect(placeComments(list, 'src/a.ts', true).flatMap((p) => p.metadata.comments.map((x) => x.id))).toEqual(['b']);
    expect(countComments(list)).toEqual({ total: 3, unresolved: 2, outdated: 1 });
    expect(countComments(list, 'src/a.ts')).toEqual({ total: 2, unresolved: 1, outdated: 1 });
  });

  it('sends only unresolved comments not sent yet', () => {
    const list = [c({ id: 'a', resolved: true }), c({ id: 'b', sent_in_run: 'r2' }), c({ id: 'c' })];
    expect(pendingComments(list).map((x) => x.id)).toEqual(['c']);
  });

  it('turns a viewer selection into one line on one side (a range: its last line)', () => {
    expect(selectionToDraft(null)).toBeNull();
    expect(selectionToDraft({ start: 4, end: 4, side: 'additions' })).toEqual({ side: 'new', line: 4, lines: 1 });
    expect(selectionToDraft({ start: 9, end: 6, side: 'deletions', endSide: 'deletions' })).toEqual({ side: 'old', line: 9, lines: 4 });
    expect(selectionToDraft({ start: 0, end: 0 })).toBeNull();
  });

  it('upserts by id, ordered by creation', () => {
    const a = c({ id: 'a', created_at: '2025-01-01T00:00:02Z' });
    const b = c({ id: 'b', created_at: '2025-01-01T00:00:01Z' });
    expect(upsertComment([a], b).map((x) => x.id)).toEqual(['b', 'a']);
    expect(upsertComment([a, b], { ...a, body: 'edited' }).find((x) => x.id === 'a')?.body).toBe('edited');
  });
});

describe('Send to agent dialog state', () => {
  const loaded = (): SendState => sendReducer({ step: 'loading' }, { type: 'loaded', prompt: 'Fix line 3', ids: ['a'] });

  it('loads the server prompt, edits it, resets it', () => {
    let s = loaded();
    expect(s).toEqual({ step: 'editing', prompt: 'Fix line 3', original: 'Fix line 3', ids: ['a'], error: null });
    s = sendReducer(s, { type: 'edit', prompt: 'Fix line 3 please' });
    expect(s.step === 'editing' && s.prompt).toBe('Fix line 3 please');
    s = sendReducer(s, { type: 'reset' });
    expect(s.step === 'editing' && s.prompt).toBe('Fix line 3');
  });

  it('does not start an empty prompt; a failed start keeps the edited text with the error', () => {
    let s = sendReducer(loaded(), { type: 'edit', prompt: '   ' });
    expect(sendReducer(s, { type: 'start' })).toBe(s);
    s = sendReducer(sendReducer(s, { type: 'edit', prompt: 'mine' }), { type: 'start' });
    expect(s.step).toBe('starting');
    expect(sendReducer(s, { type: 'close' })).toBe(s); // no closing while starting
    s = sendReducer(s, { type: 'start-failed', error: 'run_active' });
    expect(s).toEqual({ step: 'editing', prompt: 'mine', original: 'Fix line 3', ids: ['a'], error: 'run_active' });
  });

  it('closes after starting; a failed load can be retried', () => {
    const s = sendReducer(sendReducer(loaded(), { type: 'start' }), { type: 'started' });
    expect(s).toEqual({ step: 'closed' });
    const failed = sendReducer({ step: 'loading' }, { type: 'load-failed', error: 'x' });
    expect(failed).toEqual({ step: 'failed', error: 'x' });
    expect(sendReducer(failed, { type: 'open' })).toEqual({ step: 'loading' });
    // A late answer for a closed dialog changes nothing.
    expect(sendReducer({ step: 'closed' }, { type: 'loaded', prompt: 'p', ids: [] })).toEqual({ step: 'closed' });
  });
});
