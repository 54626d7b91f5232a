// Browser notifications in headless mode (pure part): when to ask, what a denial says, what a notification says.
// The desktop app notifies natively from Rust, so nothing here runs in its window.
import type { RunNotice } from '../board/runs';
import { noticeMessage } from '../board/runs';

/** `Notification.permission`, or `unsupported` when the browser has none. */
export type Permission = 'default' | 'granted' | 'denied' | 'unsupported';
/** What the user already answered to our prompt (kept in localStorage). */
export type Remembered = 'none' | 'dismissed' | 'denial-seen';

/** What to show: nothing, the "Turn on notifications" prompt, or the plain word that they are blocked. */
export type PromptView = 'none' | 'ask' | 'denied';

export const PROMPT_KEY = 'viban.notifications.prompt';

export function parseRemembered(v: string | null): Remembered {
  return v === 'dismissed' || v === 'denial-seen' ? v : 'none';
}

/** Asked once: never in the desktop window, never again after "Not now", and a denial is said once. */
export function promptView(desktop: boolean, permission: Permission, remembered: Remembered): PromptView {
  if (desktop || permission === 'unsupported' || permission === 'granted') return 'none';
  if (permission === 'denied') return remembered === 'denial-seen' ? 'none' : 'denied';
  return remembered === 'none' ? 'ask' : 'none';
}

/** Notifications are sent only in a browser that granted them. */
export function shouldNotify(desktop: boolean, permission: Permission): boolean {
  return !desktop && permission === 'granted';
}

/** The notification for a notice: the same events and words as the toast; `tag` collapses repeats of one event. */
export function notificationFor(
  notice: RunNotice,
  title: string,
  name: (agentId: string) => string,
): { title: string; body: string; tag: string } {
  const heading = notice.kind === 'succeeded' ? 'Run finished' : notice.kind === 'failed' ? 'Run failed' : 'Waiting for input';
  const runId = notice.kind === 'waiting' ? notice.runId : notice.run.id;
  return { title: `viban: ${heading}`, body: noticeMessage(notice, title, name), tag: `${runId}:${notice.kind}` };
}
