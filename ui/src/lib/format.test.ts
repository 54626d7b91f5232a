import { describe, expect, it } from 'vitest';
import { agentName, formatBytes, formatDuration, humanBytes, runtimeText, shortId, shortTime } from './format';

// The rest of this module is covered where it is used most: runs/runFormat.test.ts (durations, exit codes,
// active), runs/cast.test.ts (replay clock), disk/disk.test.ts (sizes, ages), board/logic.test.ts (short ids).
describe('shared formatting', () => {
  it('reads diff sizes in KB/MB and disk sizes in KiB/MiB/GiB (two scales, kept apart on purpose)', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MB');
    expect(humanBytes(1536)).toBe('1.5 KiB');
    expect(humanBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
  });

  it('shows only the time for today, the day and the time otherwise', () => {
    const now = new Date(2026, 10, 30, 15, 0);
    const today = shortTime(new Date(2026, 10, 30, 14, 3).toISOString(), now);
    const earlier = shortTime(new Date(2026, 10, 3, 14, 3).toISOString(), now);
    expect(earlier.endsWith(today)).toBe(true);
    expect(earlier.length).toBeGreaterThan(today.length);
    expect(shortTime('not a date', now)).toBe('not a date');
  });

  it('durations, ids and agent names', () => {
    expect(formatDuration(125_000)).toBe('2m 05s');
    expect(shortId('0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b')).toBe('2e3f4a5b');
    expect(agentName(new Map(), 'shell')).toBe('Shell');
  });
});

describe('runtimeText', () => {
  it('is nothing for a run on this machine', () => {
    expect(runtimeText({ runtime: 'local', runtime_detail: null })).toBeNull();
  });
  it('shows a container run with its limits, the image only in the title', () => {
    const t = runtimeText({ runtime: 'container', runtime_detail: 'img:1 · 2 CPUs · 4g · 1024 pids · network off' });
    expect(t).toEqual({
      short: 'container · 2 CPUs · 4g',
      long: 'container · 2 CPUs · 4g · 1024 pids · network off',
      title: 'In a container: img:1 · 2 CPUs · 4g · 1024 pids · network off',
    });
  });
  it('shows a Kubernetes run with its pod and node in the list', () => {
    const t = runtimeText({ runtime: 'kubernetes', runtime_detail: 'img · 1 CPU · 512Mi · pod p-1 on node-a' });
    expect(t?.short).toBe('kubernetes · 1 CPU · 512Mi');
    expect(t?.long).toBe('kubernetes · 1 CPU · 512Mi · pod p-1 on node-a');
    expect(t?.title.startsWith('On Kubernetes: img')).toBe(true);
  });
  it('copes with a run that has no detail yet', () => {
    expect(runtimeText({ runtime: 'kubernetes', runtime_detail: null })).toEqual({
      short: 'kubernetes',
      long: 'kubernetes',
      title: 'On Kubernetes',
    });
  });
});
