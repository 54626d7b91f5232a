import { describe, expect, it } from 'vitest';
import type { UpdateOutcome, UpdateState } from '../../api/generated/types';
import type { KeyValueStore } from '../../api/session';
import {
  NO_CHOICES,
  PLANNED_RESTART_MAX_MS,
  POLL_BUSY_MS,
  POLL_IDLE_MS,
  POLL_RETRY_MS,
  bannerRole,
  bannerTone,
  bannersFor,
  checkResultText,
  clearPlannedRestart,
  confirmMessage,
  customEndpointOf,
  endpointErrorText,
  markPlannedRestart,
  outcomeText,
  plannedRestartSettled,
  pollDelay,
  progressPercent,
  progressText,
  readLater,
  readPlannedRestart,
  rememberLater,
  settingsBody,
  whenText,
} from './update';

function state(over: Partial<UpdateState> = {}): UpdateState {
  return {
    supported: true,
    why_unsupported: null,
    current_version: '0.3.0',
    phase: 'idle',
    channel: 'stable',
    endpoint: 'https://github.com/viban-dev/viban/releases/latest/download/latest.json',
    offer: null,
    progress: null,
    error: null,
    last_check: null,
    last_outcome: null,
    skipped: [],
    ...over,
  };
}

const offer = { version: '0.4.0', notes: '## New\n- a thing', pub_date: null };
const outcome = (kind: UpdateOutcome['kind'], reason: string | null = null): UpdateOutcome => ({
  kind,
  from: '0.3.0',
  to: '0.4.0',
  reason,
  at: '2026-11-30T07:00:00Z',
});

function memoryStore(): KeyValueStore {
  const data = new Map<string, string>();
  return { getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v), removeItem: (k) => void data.delete(k) };
}

describe('bannersFor', () => {
  it('shows nothing where updates are not supported, even with an offer or an error', () => {
    expect(bannersFor(null)).toEqual([]);
    expect(
      bannersFor(state({ supported: false, why_unsupported: 'headless', phase: 'error', error: 'x', offer, last_outcome: outcome('updated') })),
    ).toEqual([]);
  });

  it('shows nothing while idle, checking or up to date', () => {
    for (const phase of ['idle', 'checking', 'up_to_date'] as const) expect(bannersFor(state({ phase }))).toEqual([]);
  });

  it('offers a ready or available version with its notes', () => {
    expect(bannersFor(state({ phase: 'ready', offer }))).toEqual([{ kind: 'offer', version: '0.4.0', notes: offer.notes, ready: true }]);
    expect(bannersFor(state({ phase: 'available', offer }))).toEqual([
      { kind: 'offer', version: '0.4.0', notes: offer.notes, ready: false },
    ]);
  });

  it('hides the offer and its background download after Later for that version only', () => {
    const later = { ...NO_CHOICES, later: '0.4.0' };
    expect(bannersFor(state({ phase: 'ready', offer }), later)).toEqual([]);
    expect(bannersFor(state({ phase: 'downloading', offer, progress: { downloaded: 1, total: 2 } }), later)).toEqual([]);
    const newer = { ...offer, version: '0.5.0' };
    expect(bannersFor(state({ phase: 'ready', offer: newer }), later)).toHaveLength(1);
  });

  it('shows the download with its progress', () => {
    const progress = { downloaded: 512, total: 1024 };
    expect(bannersFor(state({ phase: 'downloading', offer, progress }))).toEqual([{ kind: 'downloading', version: '0.4.0', progress }]);
  });

  it('says installing while installing, and as soon as this tab asked to restart', () => {
    expect(bannersFor(state({ phase: 'installing', offer }))).toEqual([{ kind: 'installing', version: '0.4.0' }]);
    const asked = { ...NO_CHOICES, installing: '0.4.0' };
    expect(bannersFor(state({ phase: 'ready', offer }), asked)).toEqual([{ kind: 'installing', version: '0.4.0' }]);
    expect(bannersFor(state({ phase: 'checking', offer }), asked)).toEqual([{ kind: 'installing', version: '0.4.0' }]);
    // Restart to update after Later still shows the download it waits for.
    const progress = { downloaded: 1, total: null };
    expect(bannersFor(state({ phase: 'downloading', offer, progress }), { ...asked, later: '0.4.0' })).toEqual([
      { kind: 'downloading', version: '0.4.0', progress },
    ]);
  });

  it('shows an error until it is dismissed; a new error shows again', () => {
    const s = state({ phase: 'error', error: 'Checking for updates failed: offline.' });
    expect(bannersFor(s)).toEqual([{ kind: 'error', message: 'Checking for updates failed: offline.' }]);
    expect(bannersFor(s, { ...NO_CHOICES, dismissedError: 'Checking for updates failed: offline.' })).toEqual([]);
    expect(bannersFor(state({ phase: 'error', error: 'other' }), { ...NO_CHOICES, dismissedError: 'Checking for updates failed: offline.' })).toHaveLength(1);
  });

  it('puts the last outcome first, next to what happens now, until dismissed', () => {
    const rolled = outcome('rolled_back', 'no healthy answer within 90 s');
    const banners = bannersFor(state({ last_outcome: rolled, phase: 'ready', offer: { ...offer, version: '0.4.1' } }));
    expect(banners.map((b) => b.kind)).toEqual(['outcome', 'offer']);
    expect(bannersFor(state({ last_outcome: rolled }), { ...NO_CHOICES, dismissedOutcome: rolled.at })).toEqual([]);
  });

  it('gives warnings and failures role=alert and news role=status', () => {
    expect(bannerRole({ kind: 'outcome', outcome: outcome('rolled_back') })).toBe('alert');
    expect(bannerTone({ kind: 'outcome', outcome: outcome('rolled_back') })).toBe('warn');
    expect(bannerRole({ kind: 'outcome', outcome: outcome('install_failed') })).toBe('alert');
    expect(bannerTone({ kind: 'outcome', outcome: outcome('install_failed') })).toBe('error');
    expect(bannerRole({ kind: 'outcome', outcome: outcome('updated') })).toBe('status');
    expect(bannerRole({ kind: 'error', message: 'x' })).toBe('alert');
    expect(bannerRole({ kind: 'offer', version: '1', notes: null, ready: true })).toBe('status');
    expect(bannerRole({ kind: 'downloading', version: '1', progress: null })).toBe('status');
  });
});

describe('outcomeText', () => {
  it('says what happened in each case', () => {
    expect(outcomeText(outcome('rolled_back'))).toBe(
      'viban 0.4.0 did not start correctly; 0.3.0 was put back and 0.4.0 will not be offered again.',
    );
    expect(outcomeText(outcome('updated'))).toBe('Updated to viban 0.4.0.');
    expect(outcomeText(outcome('install_failed'))).toBe('Updating viban from 0.3.0 to 0.4.0 failed.');
  });
});

describe('progress', () => {
  it('gives percent and bytes when the total is known', () => {
    expect(progressPercent({ downloaded: 5 * 1024 * 1024, total: 20 * 1024 * 1024 })).toBe(25);
    expect(progressText({ downloaded: 5 * 1024 * 1024, total: 20 * 1024 * 1024 })).toBe('5.0 MiB of 20.0 MiB (25%)');
    expect(progressText({ downloaded: 0, total: 1000 })).toBe('0 B of 1000 B (0%)');
    expect(progressText({ downloaded: 1000, total: 1000 })).toBe('1000 B of 1000 B (100%)');
  });

  it('gives bytes only when the total is unknown or zero', () => {
    expect(progressPercent({ downloaded: 10, total: null })).toBeNull();
    expect(progressText({ downloaded: 3 * 1024, total: null })).toBe('3.0 KiB downloaded');
    expect(progressText({ downloaded: 3 * 1024, total: 0 })).toBe('3.0 KiB downloaded');
    expect(progressText(null)).toBe('starting…');
  });

  it('never goes past 100%', () => {
    expect(progressPercent({ downloaded: 2000, total: 1000 })).toBe(100);
  });
});

describe('pollDelay', () => {
  const now = 1_000_000;
  it('polls every minute when nothing happens and every second while busy', () => {
    expect(pollDelay(null, false, 0, now)).toBe(POLL_IDLE_MS);
    expect(pollDelay(state({ phase: 'ready' }), false, 0, now)).toBe(POLL_IDLE_MS);
    for (const phase of ['checking', 'downloading', 'installing'] as const) {
      expect(pollDelay(state({ phase }), false, 0, now)).toBe(POLL_BUSY_MS);
    }
  });
  it('polls every second just after the user asked for something', () => {
    expect(pollDelay(state(), false, now + 10, now)).toBe(POLL_BUSY_MS);
    expect(pollDelay(state(), false, now - 1, now)).toBe(POLL_IDLE_MS);
  });
  it('slows down when the server does not answer', () => {
    expect(pollDelay(state({ phase: 'installing' }), true, 0, now)).toBe(POLL_RETRY_MS);
    expect(pollDelay(state(), true, 0, now)).toBe(POLL_IDLE_MS);
  });
});

describe('confirmMessage', () => {
  it('turns the server message into a question for the user', () => {
    expect(confirmMessage('2 agent(s) are running: restarting to update stops them. Ask the user, then send stop_agents: true')).toBe(
      '2 agents are running; restarting to update stops them.',
    );
    expect(confirmMessage('1 agent(s) are running: restarting to update stops them. Ask the user, then send stop_agents: true')).toBe(
      '1 agent is running; restarting to update stops it.',
    );
  });
  it('keeps an unknown wording without the part meant for API callers', () => {
    expect(confirmMessage('Agents are busy. Ask the user first')).toBe('Agents are busy.');
    expect(confirmMessage('')).toBe('Agents are running; restarting to update stops them.');
  });
});

describe('checkResultText', () => {
  it('says the result of the last check', () => {
    expect(checkResultText(state({ phase: 'up_to_date' }))).toEqual({ text: 'Up to date (viban 0.3.0 is the newest on this channel).', tone: 'ok' });
    expect(checkResultText(state({ phase: 'available', offer })).text).toBe('viban 0.4.0 is available.');
    expect(checkResultText(state({ phase: 'ready', offer })).text).toBe('viban 0.4.0 is ready to install.');
    expect(checkResultText(state({ phase: 'error', error: 'offline' }))).toEqual({ text: 'offline', tone: 'error' });
    expect(checkResultText(state({ phase: 'idle' })).text).toBe('Not checked yet.');
    expect(checkResultText(state({ phase: 'downloading', offer, progress: { downloaded: 1024, total: 2048 } })).text).toBe(
      'Downloading viban 0.4.0: 1.0 KiB of 2.0 KiB (50%)',
    );
  });
});

describe('whenText', () => {
  const now = Date.parse('2026-11-30T12:00:00Z');
  it('is relative for the last day', () => {
    expect(whenText(null, now)).toBe('never');
    expect(whenText('2026-11-30T11:59:30Z', now)).toBe('just now');
    expect(whenText('2026-11-30T11:55:00Z', now)).toBe('5 min ago');
    expect(whenText('2026-11-30T09:00:00Z', now)).toBe('3 h ago');
    expect(whenText('not a date', now)).toBe('not a date');
  });
});

describe('Later', () => {
  it('is remembered per version', () => {
    const store = memoryStore();
    expect(readLater(store)).toBeNull();
    rememberLater(store, '0.4.0');
    expect(readLater(store)).toBe('0.4.0');
    expect(readLater(null)).toBeNull();
  });
});

describe('planned restart', () => {
  const at = 1_000_000;
  it('is kept in the tab for a while, then forgotten', () => {
    const store = memoryStore();
    markPlannedRestart(store, { from: '0.3.0', to: '0.4.0', at });
    expect(readPlannedRestart(store, at + 1000)).toEqual({ from: '0.3.0', to: '0.4.0', at });
    expect(readPlannedRestart(store, at + PLANNED_RESTART_MAX_MS + 1)).toBeNull();
    clearPlannedRestart(store);
    expect(readPlannedRestart(store, at)).toBeNull();
    store.setItem('viban.update.restarting', '{"from":1}');
    expect(readPlannedRestart(store, at)).toBeNull();
    store.setItem('viban.update.restarting', 'not json');
    expect(readPlannedRestart(store, at)).toBeNull();
  });

  it('is settled when another version answers, the old one is put back, or the install failed', () => {
    const r = { from: '0.3.0', to: '0.4.0', at };
    expect(plannedRestartSettled(r, state({ phase: 'installing', offer }))).toBe(false);
    expect(plannedRestartSettled(r, state({ phase: 'ready', offer }))).toBe(false);
    expect(plannedRestartSettled(r, state({ current_version: '0.4.0' }))).toBe(true);
    expect(plannedRestartSettled(r, state({ last_outcome: outcome('rolled_back') }))).toBe(true);
    expect(plannedRestartSettled(r, state({ phase: 'error', error: 'password refused' }))).toBe(true);
  });
});

describe('settings form', () => {
  it('shows a custom URL only when it is not a channel default', () => {
    expect(customEndpointOf(state())).toBe('');
    expect(customEndpointOf(state({ endpoint: 'https://github.com/viban-dev/viban/releases/download/beta/latest.json' }))).toBe('');
    expect(customEndpointOf(state({ endpoint: null }))).toBe('');
    expect(customEndpointOf(state({ endpoint: 'http://127.0.0.1:8080/latest.json' }))).toBe('http://127.0.0.1:8080/latest.json');
  });
  it('sends the endpoint only when one is given', () => {
    expect(settingsBody('beta', '  ')).toEqual({ channel: 'beta' });
    expect(settingsBody('stable', ' https://u.example/latest.json ')).toEqual({ channel: 'stable', endpoint: 'https://u.example/latest.json' });
  });
  it('shows the validation message without its field prefix', () => {
    expect(endpointErrorText('endpoint: use https (plain http is accepted only on 127.0.0.1 or localhost)')).toBe(
      'Use https (plain http is accepted only on 127.0.0.1 or localhost)',
    );
    expect(endpointErrorText('something else')).toBe('Something else');
  });
});
