// How values read in the UI, in one place: durations, clock positions, sizes, times and ages, ids and agent names.
// Features import these from here (never from each other), which keeps the feature folders free of import cycles
// (board and tasks used to reach into runs for durations, runs into board for ids and into tasks for times).
import type { Run, RunStatus } from '../api/generated/types';

const ACTIVE: readonly RunStatus[] = ['queued', 'starting', 'running'];

/** queued, starting and running runs can still produce output and be stopped. */
export function isActive(status: RunStatus): boolean {
  return ACTIVE.includes(status);
}

/** Milliseconds the run has been going (until `now` while active), or null before it started. */
export function runDurationMs(run: Pick<Run, 'started_at' | 'finished_at'>, now: number): number | null {
  if (!run.started_at) return null;
  const start = Date.parse(run.started_at);
  const end = run.finished_at ? Date.parse(run.finished_at) : now;
  if (Number.isNaN(start) || Number.isNaN(end)) return null;
  return Math.max(0, end - start);
}

/** "4s", "2m 05s", "1h 02m". Negative or non-finite values read as 0s. */
export function formatDuration(ms: number): string {
  const total = Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  if (minutes > 0) return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
  return `${seconds}s`;
}

/** A replay position: "0:07", "12:30", "1:02:03". */
export function formatCastTime(seconds: number): string {
  const total = Number.isFinite(seconds) && seconds > 0 ? Math.floor(seconds) : 0;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** "exit 0", "exit 130", or "" when there is no code (still running, killed by a signal, never started). */
export function exitLabel(code: number | null): string {
  return code === null ? '' : `exit ${code}`;
}

/** A file size in the diff view: "512 B", "1.5 KB", "3.2 MB" (1024 steps, MB at most). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** Bytes in 1024 steps with one decimal from KiB on: "0 B", "512 B", "1.5 KiB", "3.2 GiB" (disk use, downloads). */
export function humanBytes(n: number): string {
  if (n < 1024) return `${Math.max(0, Math.round(n))} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** An age in seconds: "just now", "5 min", "3 h", "2 days". */
export function humanAge(secs: number): string {
  if (secs < 60) return 'just now';
  if (secs < 3600) return `${Math.floor(secs / 60)} min`;
  if (secs < 86400) return `${Math.floor(secs / 3600)} h`;
  const d = Math.floor(secs / 86400);
  return d === 1 ? '1 day' : `${d} days`;
}

/** "14:03" today, "3 Nov 14:03" otherwise. */
export function shortTime(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (d.toDateString() === now.toDateString()) return time;
  return `${d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })} ${time}`;
}

/**
 * The last 8 hex digits of the id. Ids are UUIDv7, whose leading digits are a timestamp shared by every task
 * made in the same minute; the trailing ones are random.
 */
export function shortId(id: string): string {
  return id.replace(/-/g, '').slice(-8);
}

/** An agent's name for messages: its profile's name, `Shell` for a shell, `Automation` for a column's script, else the id. */
export function agentName(names: ReadonlyMap<string, string>, id: string): string {
  return names.get(id) || (id === 'shell' ? 'Shell' : id === 'automation' ? 'Automation' : id);
}

/**
 * Where a run ran, for the card (`short`: kind, CPUs and memory) and the run list (`long`: the limits, and a
 * Kubernetes run's pod and node); null for a run on this machine. The detail is "image · limits… · pod P on N".
 */
export function runtimeText(
  run: Pick<Run, 'runtime' | 'runtime_detail'>,
): { short: string; long: string; title: string } | null {
  if (run.runtime === 'local') return null;
  const name = run.runtime === 'kubernetes' ? 'kubernetes' : 'container';
  const detail = run.runtime_detail ?? '';
  const rest = detail.split(' · ').filter(Boolean).slice(1);
  const where = run.runtime === 'kubernetes' ? 'On Kubernetes' : 'In a container';
  return {
    short: [name, ...rest.slice(0, 2)].join(' · '),
    long: [name, ...rest].join(' · '),
    title: detail ? `${where}: ${detail}` : where,
  };
}
