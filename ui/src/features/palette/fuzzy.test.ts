import { describe, expect, it } from 'vitest';
import { fuzzyMatch, rank } from './fuzzy';

describe('fuzzyMatch', () => {
  it('matches substrings and subsequences, case-insensitively', () => {
    expect(fuzzyMatch('set', 'Open settings')?.indices).toEqual([5, 6, 7]);
    expect(fuzzyMatch('OPSE', 'Open settings')).not.toBeNull();
    expect(fuzzyMatch('xyz', 'Open settings')).toBeNull();
    expect(fuzzyMatch('', 'anything')).toEqual({ score: 0, indices: [] });
  });

  it('needs every word, in any order', () => {
    expect(fuzzyMatch('login task', 'Open task: Fix the login form')).not.toBeNull();
    expect(fuzzyMatch('login bug', 'Open task: Fix the login form')).toBeNull();
  });

  it('prefers word starts and consecutive letters', () => {
    const start = fuzzyMatch('th', 'Toggle theme')!;
    const middle = fuzzyMatch('th', 'South')!;
    expect(start.score).toBeGreaterThan(middle.score);
    // Initials of words beat scattered letters.
    const initials = fuzzyMatch('ns', 'New task search')!;
    expect(fuzzyMatch('nt', 'New task')!.indices).toEqual([0, 4]);
    expect(initials.score).toBeGreaterThan(0);
  });
});

describe('rank', () => {
  const items = ['New task', 'Switch to project: Website', 'Open task: Write the docs', 'Toggle theme'];

  it('orders by score and keeps the given order on ties', () => {
    expect(rank(items, '', (s) => s).map((r) => r.item)).toEqual(items);
    expect(rank(items, 'task', (s) => s).map((r) => r.item)).toEqual(['New task', 'Open task: Write the docs']);
    expect(rank(items, 'theme', (s) => s)[0]?.item).toBe('Toggle theme');
  });

  it('matches extra keywords (a #id) without highlighting them', () => {
    const tasks = [
      { title: 'Open task: Alpha', id: '#1a2b3c4d' },
      { title: 'Open task: Beta', id: '#99887766' },
    ];
    const found = rank(tasks, '#9988', (t) => t.title, (t) => t.id);
    expect(found.map((r) => r.item.title)).toEqual(['Open task: Beta']);
    expect(found[0]?.indices.every((i) => i < 'Open task: Beta'.length)).toBe(true);
  });

  it('stops at the limit', () => {
    expect(rank(items, '', (s) => s, undefined, 2)).toHaveLength(2);
  });
});
