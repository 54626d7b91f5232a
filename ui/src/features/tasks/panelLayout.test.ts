import { describe, expect, it } from 'vitest';
import type { Run, RunStatus } from '../../api/generated/types';
import { focusTerminalOnOpen, isLive, liveRun, loadOpenSections, panelLayout, storeOpenSections, toggleSection } from './panelLayout';

const run = (id: string, status: RunStatus) => ({ id, status }) as Run;

describe('panel layout', () => {
  it('only starting and running runs are live', () => {
    expect((['queued', 'starting', 'running', 'succeeded', 'failed', 'stopped', 'interrupted'] as RunStatus[]).filter(isLive)).toEqual([
      'starting',
      'running',
    ]);
  });

  it('leads with the selected run when live, else the newest live one', () => {
    const runs = [run('new', 'succeeded'), run('mid', 'running'), run('old', 'running')];
    expect(liveRun(runs, runs[2] ?? null)?.id).toBe('old');
    expect(liveRun(runs, runs[0] ?? null)?.id).toBe('mid');
    expect(liveRun([run('a', 'queued'), run('b', 'failed')], null)).toBeNull();
    expect(liveRun(null, null)).toBeNull();
  });

  it('with a live run the terminal comes first and details, history and start form fold', () => {
    const live = panelLayout(true);
    expect([...live.foldable].sort()).toEqual(['details', 'history', 'start']);
    expect(live.order.details).toBeGreaterThan(0);
    expect(live.order.history).toBeGreaterThan(live.order.details);
    expect(live.order.start).toBeGreaterThan(live.order.history);
  });

  it('without a live run nothing folds and the order is the page order', () => {
    const idle = panelLayout(false);
    expect(idle.foldable.size).toBe(0);
    expect(idle.order).toEqual({ details: 0, history: 0, start: 0 });
  });

  it('focuses the terminal on open only when the live run is the one waiting', () => {
    expect(focusTerminalOnOpen(run('a', 'running'), 'a')).toBe(true);
    expect(focusTerminalOnOpen(run('a', 'running'), null)).toBe(false);
    expect(focusTerminalOnOpen(run('a', 'running'), 'b')).toBe(false);
    expect(focusTerminalOnOpen(null, 'a')).toBe(false);
  });

  it('remembers opened sections, ignoring junk', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    expect(loadOpenSections(storage).size).toBe(0);
    const open = toggleSection(toggleSection(new Set(), 'history'), 'details');
    storeOpenSections(storage, open);
    expect([...loadOpenSections(storage)].sort()).toEqual(['details', 'history']);
    storeOpenSections(storage, toggleSection(open, 'history'));
    expect([...loadOpenSections(storage)]).toEqual(['details']);
    store.set('viban.panel.open', '["start","bogus",3]');
    expect([...loadOpenSections(storage)]).toEqual(['start']);
    store.set('viban.panel.open', '{not json');
    expect(loadOpenSections(storage).size).toBe(0);
    expect(loadOpenSections(null).size).toBe(0);
  });
});
