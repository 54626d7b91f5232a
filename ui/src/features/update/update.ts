// Self-update, pure part: how often to poll, which banners to show for an UpdateState, progress and status in
// words, the "Later" and planned-restart marks, and the settings form's checks. Framework-free, unit-tested.
import type {
  UpdateChannel,
  UpdateOutcome,
  UpdatePhase,
  UpdateProgress,
  UpdateSettings,
  UpdateState,
} from '../../api/generated/types';
import type { KeyValueStore } from '../../api/session';
import { humanBytes } from '../../lib/format';

/** Polling: every minute when nothing happens, every second while the shell checks, downloads or installs. */
export const POLL_IDLE_MS = 60_000;
export const POLL_BUSY_MS = 1_000;
/** After a failed poll while something was happening (a restart to update drops the server for a while). */
export const POLL_RETRY_MS = 5_000;
/** After the user asked for something (check, save, install): the answer is the state before, so look soon. */
export const EXPECT_CHANGE_MS = 8_000;

export function isBusy(phase: UpdatePhase): boolean {
  return phase === 'checking' || phase === 'downloading' || phase === 'installing';
}

/**
 * The delay before the next `GET /api/update`. `fastUntil`: until when the user's last action may still change
 * the state (poll every second until then).
 */
export function pollDelay(state: UpdateState | null, failed: boolean, fastUntil: number, now: number): number {
  const busy = (state !== null && isBusy(state.phase)) || now < fastUntil;
  if (failed) return busy ? POLL_RETRY_MS : POLL_IDLE_MS;
  return busy ? POLL_BUSY_MS : POLL_IDLE_MS;
}

/** Percent done (0–100, whole), or null when the server sent no length. */
export function progressPercent(progress: UpdateProgress | null): number | null {
  if (!progress || progress.total === null || progress.total <= 0) return null;
  return Math.max(0, Math.min(100, Math.floor((progress.downloaded * 100) / progress.total)));
}

/** "12.5 MiB of 40.0 MiB (31%)", or "12.5 MiB downloaded" when the total is unknown. */
export function progressText(progress: UpdateProgress | null): string {
  if (!progress) return 'starting…';
  const percent = progressPercent(progress);
  if (percent === null || progress.total === null) return `${humanBytes(progress.downloaded)} downloaded`;
  return `${humanBytes(progress.downloaded)} of ${humanBytes(progress.total)} (${percent}%)`;
}

/** One banner under the header. */
export type UpdateBanner =
  | { kind: 'offer'; version: string; notes: string | null; ready: boolean }
  | { kind: 'downloading'; version: string; progress: UpdateProgress | null }
  | { kind: 'installing'; version: string | null }
  | { kind: 'error'; message: string }
  | { kind: 'outcome'; outcome: UpdateOutcome };

/** What this browser decided on its own: hidden banners, and a Restart to update it sent. */
export type LocalChoices = {
  /** "Later" was clicked for this version (kept in localStorage). */
  later: string | null;
  /** The error message whose banner was dismissed. */
  dismissedError: string | null;
  /** The outcome (its `at`) whose Dismiss was clicked, until the server forgets it. */
  dismissedOutcome: string | null;
  /** This tab sent Restart to update for this version (202) and waits for the restart. */
  installing: string | null;
};

export const NO_CHOICES: LocalChoices = { later: null, dismissedError: null, dismissedOutcome: null, installing: null };

/**
 * The banners for a state, most important first: what the last install did (rolled back, failed, updated), then
 * what the updater does now. Nothing when updates are not supported here (Settings says why).
 */
export function bannersFor(state: UpdateState | null, local: LocalChoices = NO_CHOICES): UpdateBanner[] {
  if (!state || !state.supported) return [];
  const banners: UpdateBanner[] = [];
  const outcome = state.last_outcome;
  if (outcome && outcome.at !== local.dismissedOutcome) banners.push({ kind: 'outcome', outcome });

  const offered = state.offer?.version ?? null;
  const requested = local.installing !== null && (offered === null || offered === local.installing);
  switch (state.phase) {
    case 'installing':
      banners.push({ kind: 'installing', version: offered ?? local.installing });
      break;
    case 'downloading':
      // A background download is not worth a banner once the user said Later, unless they asked to install it.
      if (offered !== null && (offered !== local.later || requested)) {
        banners.push({ kind: 'downloading', version: offered, progress: state.progress });
      }
      break;
    case 'available':
    case 'ready':
      if (requested) banners.push({ kind: 'installing', version: local.installing });
      else if (state.offer && offered !== local.later) {
        banners.push({ kind: 'offer', version: state.offer.version, notes: state.offer.notes, ready: state.phase === 'ready' });
      }
      break;
    case 'checking':
      // Restart to update with nothing downloaded yet checks first.
      if (requested) banners.push({ kind: 'installing', version: local.installing });
      break;
    case 'error': {
      const message = state.error ?? 'The update failed.';
      if (message !== local.dismissedError) banners.push({ kind: 'error', message });
      break;
    }
    case 'idle':
    case 'up_to_date':
      break;
  }
  return banners;
}

export type BannerTone = 'info' | 'warn' | 'error';

export function bannerTone(banner: UpdateBanner): BannerTone {
  if (banner.kind === 'error') return 'error';
  if (banner.kind === 'outcome') {
    if (banner.outcome.kind === 'rolled_back') return 'warn';
    if (banner.outcome.kind === 'install_failed') return 'error';
  }
  return 'info';
}

/** Something went wrong: announced at once (`alert`); the rest is news that can wait (`status`). */
export function bannerRole(banner: UpdateBanner): 'alert' | 'status' {
  return bannerTone(banner) === 'info' ? 'status' : 'alert';
}

/** The headline of an outcome banner (the reason goes under it). */
export function outcomeText(outcome: UpdateOutcome): string {
  switch (outcome.kind) {
    case 'rolled_back':
      return `viban ${outcome.to} did not start correctly; ${outcome.from} was put back and ${outcome.to} will not be offered again.`;
    case 'updated':
      return `Updated to viban ${outcome.to}.`;
    case 'install_failed':
      return `Updating viban from ${outcome.from} to ${outcome.to} failed.`;
  }
}

/**
 * The question for `409 agents_running`. The server's message ("2 agent(s) are running: restarting to update stops
 * them. Ask the user, then send stop_agents: true") is written for API callers; the user gets the count in words.
 */
export function confirmMessage(serverMessage: string): string {
  const count = /^\s*(\d+)\s+agent/.exec(serverMessage)?.[1];
  if (count !== undefined) {
    const n = Number(count);
    return n === 1
      ? '1 agent is running; restarting to update stops it.'
      : `${n} agents are running; restarting to update stops them.`;
  }
  const forUser = serverMessage.split(/\.\s*Ask the user/)[0]?.trim() ?? '';
  return forUser ? `${forUser.replace(/[.]$/, '')}.` : 'Agents are running; restarting to update stops them.';
}

/** "just now", "5 min ago", "3 h ago", else the date and time. */
export function whenText(iso: string | null, now: number): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const secs = Math.max(0, Math.round((now - t) / 1000));
  if (secs < 60) return 'just now';
  if (secs < 3600) return `${Math.floor(secs / 60)} min ago`;
  if (secs < 86_400) return `${Math.floor(secs / 3600)} h ago`;
  return new Date(t).toLocaleString();
}

/** The result of the last check, as Settings shows it next to "Check for updates". */
export function checkResultText(state: UpdateState): { text: string; tone: 'ok' | 'info' | 'error' | 'muted' } {
  const offered = state.offer?.version;
  switch (state.phase) {
    case 'checking':
      return { text: 'Checking…', tone: 'muted' };
    case 'up_to_date':
      return { text: `Up to date (viban ${state.current_version} is the newest on this channel).`, tone: 'ok' };
    case 'available':
      return { text: offered ? `viban ${offered} is available.` : 'A new version is available.', tone: 'info' };
    case 'downloading':
      return { text: `Downloading ${offered ? `viban ${offered}` : 'the update'}: ${progressText(state.progress)}`, tone: 'info' };
    case 'ready':
      return { text: offered ? `viban ${offered} is ready to install.` : 'An update is ready to install.', tone: 'info' };
    case 'installing':
      return { text: 'Installing… viban will restart.', tone: 'info' };
    case 'error':
      return { text: state.error ?? 'The last check failed.', tone: 'error' };
    case 'idle':
      return { text: state.last_check ? 'Up to date.' : 'Not checked yet.', tone: 'muted' };
  }
}

// ---- "Later": hides the offer banner for one version (this browser, every tab).

export const LATER_KEY = 'viban.update.later';

export function readLater(store: KeyValueStore | null): string | null {
  try {
    return store?.getItem(LATER_KEY) || null;
  } catch {
    return null;
  }
}

export function rememberLater(store: KeyValueStore | null, version: string): void {
  try {
    store?.setItem(LATER_KEY, version);
  } catch {
    // Storage refused: the banner is hidden for this page only.
  }
}

// ---- A planned restart: this tab asked for Restart to update, so the server going away is expected.

export const PLANNED_RESTART_KEY = 'viban.update.restarting';
/** Past this, a server that is away is an outage again, not our restart. */
export const PLANNED_RESTART_MAX_MS = 10 * 60_000;

export type PlannedRestart = { from: string; to: string; at: number };

export function markPlannedRestart(store: KeyValueStore | null, restart: PlannedRestart): void {
  try {
    store?.setItem(PLANNED_RESTART_KEY, JSON.stringify(restart));
  } catch {
    // Storage refused: the offline banner shows its usual words.
  }
}

export function clearPlannedRestart(store: KeyValueStore | null): void {
  try {
    store?.removeItem(PLANNED_RESTART_KEY);
  } catch {
    // Nothing to clear.
  }
}

/** The restart this tab is waiting for, or null (none, malformed, or older than PLANNED_RESTART_MAX_MS). */
export function readPlannedRestart(store: KeyValueStore | null, now: number): PlannedRestart | null {
  let raw: string | null;
  try {
    raw = store?.getItem(PLANNED_RESTART_KEY) ?? null;
  } catch {
    return null;
  }
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as Partial<PlannedRestart>;
    if (typeof v.from !== 'string' || typeof v.to !== 'string' || typeof v.at !== 'number') return null;
    if (now - v.at > PLANNED_RESTART_MAX_MS || now < v.at - 60_000) return null;
    return { from: v.from, to: v.to, at: v.at };
  } catch {
    return null;
  }
}

/**
 * The planned restart is over: another version answers (the new one, or the old one put back with an outcome
 * saying so), or the install failed before restarting.
 */
export function plannedRestartSettled(restart: PlannedRestart, state: UpdateState): boolean {
  if (state.current_version !== restart.from) return true;
  if (state.phase === 'error') return true;
  return state.last_outcome !== null && state.last_outcome.to === restart.to;
}

// ---- Settings form.

/**
 * The channels' own manifests (src-tauri/src/updater_endpoint.rs). `state.endpoint` is the URL in use; when it is
 * neither of these it came from the user's settings (or VIBAN_UPDATE_URL) and the form shows it as custom.
 */
export const CHANNEL_ENDPOINTS: Record<UpdateChannel, string> = {
  stable: 'https://github.com/viban-dev/viban/releases/latest/download/latest.json',
  beta: 'https://github.com/viban-dev/viban/releases/download/beta/latest.json',
};

export function customEndpointOf(state: Pick<UpdateState, 'endpoint'>): string {
  const e = state.endpoint;
  if (!e || Object.values(CHANNEL_ENDPOINTS).includes(e)) return '';
  return e;
}

/** The body for `PUT /api/update/settings`: an empty URL means the channel's own. */
export function settingsBody(channel: UpdateChannel, customUrl: string): UpdateSettings {
  const endpoint = customUrl.trim();
  return endpoint ? { channel, endpoint } : { channel };
}

/** The server's `validation` message without its field prefix ("endpoint: use https …" → "Use https …"). */
export function endpointErrorText(message: string): string {
  const rest = message.replace(/^endpoint:\s*/i, '');
  return rest ? rest[0]!.toUpperCase() + rest.slice(1) : message;
}

/** The browser's storages, or null when storage is disabled. */
export function localStore(): KeyValueStore | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export function sessionStore(): KeyValueStore | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null;
  }
}
