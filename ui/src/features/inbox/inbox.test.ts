import { describe, expect, it } from 'vitest';
import type { InboxItem } from '../../api/generated/types';
import { canDismiss, itemKey, keepSelection, moveSelection, withInboxCount } from './inbox';

const item = (kind: InboxItem['kind'], id: string): InboxItem => ({
  kind,
  project_id: 'p',
  project_name: 'proj',
  task_id: `t-${id}`,
  task_title: `task ${id}`,
  run_id: kind === 'automation_failed' ? null : `r-${id}`,
  firing_id: kind === 'automation_failed' ? `f-${id}` : null,
  agent: null,
  agent_name: null,
  text: '',
  since: '2026-11-30T10:00:00Z',
});

describe('inbox', () => {
  it('moves the selection within the list', () => {
    expect(moveSelection(0, -1, 3)).toBe(0);
    expect(moveSelection(1, 1, 3)).toBe(2);
    expect(moveSelection(2, 1, 3)).toBe(2);
    expect(moveSelection(0, 1, 0)).toBe(-1);
  });

  it('keeps the selected item when others come and go', () => {
    const a = [item('waiting', '1'), item('failed', '2'), item('review', '3')];
    const b = [item('failed', '2'), item('review', '3')];
    expect(keepSelection(a, b, 2)).toBe(1);
    // The selected one left: the same place, clamped.
    expect(keepSelection(a, [item('waiting', '1')], 1)).toBe(0);
  });

  it('keys items by what they are about, and only failures are dismissed by hand', () => {
    expect(itemKey(item('automation_failed', '1'))).toBe('automation_failed:f-1');
    expect(itemKey(item('waiting', '1'))).toBe('waiting:r-1');
    expect(canDismiss(item('failed', '1'))).toBe(true);
    expect(canDismiss(item('waiting', '1'))).toBe(false);
  });

  it('adds the inbox count to the title only when there is something', () => {
    expect(withInboxCount('(1) viban', 3)).toBe('(1) viban · 3 in inbox');
    expect(withInboxCount('viban', 0)).toBe('viban');
  });
});
