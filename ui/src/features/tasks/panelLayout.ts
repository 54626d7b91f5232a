// How the task panel is laid out (issue 11, item 1). While a run is live its terminal comes first, under a sticky
// header, and the task details, history and start form fold away (each remembers open/closed in localStorage);
// without a live run the panel reads as before: details, history, then the runs.
import type { Run, RunStatus } from '../../api/generated/types';

export type PanelSection = 'details' | 'history' | 'start';

/** Running (or starting) runs are "live": the user is in the loop with them. Queued and finished ones are not. */
export function isLive(status: RunStatus): boolean {
  return status === 'starting' || status === 'running';
}

/** The live run the panel leads with: the selected one if live, else the newest live run, else none. */
export function liveRun(runs: readonly Run[] | null, selected: Run | null): Run | null {
  if (selected && isLive(selected.status)) return selected;
  return runs?.find((r) => isLive(r.status)) ?? null;
}

export type PanelLayout = {
  live: boolean;
  /** CSS flex order of each section; the runs (terminal first) have order 0. */
  order: Record<PanelSection, number>;
  /** Sections shown as collapsible (folded unless the user opened them). */
  foldable: ReadonlySet<PanelSection>;
};

const FOLDABLE: ReadonlySet<PanelSection> = new Set(['details', 'history', 'start']);
const NONE: ReadonlySet<PanelSection> = new Set();

export function panelLayout(live: boolean): PanelLayout {
  return live
    ? { live, order: { details: 1, history: 2, start: 3 }, foldable: FOLDABLE }
    : { live, order: { details: 0, history: 0, start: 0 }, foldable: NONE };
}

/** Whether a live panel focuses the terminal on open: only when its run is waiting for input. */
export function focusTerminalOnOpen(live: Run | null, waitingRunId: string | null): boolean {
  return live !== null && waitingRunId !== null && live.id === waitingRunId;
}

const FOLD_KEY = 'viban.panel.open';

/** The sections the user opened while folded, kept across panels and reloads. */
export function loadOpenSections(storage: Pick<Storage, 'getItem'> | null): Set<PanelSection> {
  try {
    const raw = storage?.getItem(FOLD_KEY);
    const parsed: unknown = raw ? JSON.parse(raw) : [];
    if (!Array.isArray(parsed)) return new Set();
    return new Set(parsed.filter((s): s is PanelSection => typeof s === 'string' && FOLDABLE.has(s as PanelSection)));
  } catch {
    return new Set();
  }
}

export function storeOpenSections(storage: Pick<Storage, 'setItem'> | null, open: ReadonlySet<PanelSection>): void {
  try {
    storage?.setItem(FOLD_KEY, JSON.stringify([...open].sort()));
  } catch {
    // private mode or full storage: the state is simply not remembered
  }
}

export function toggleSection(open: ReadonlySet<PanelSection>, section: PanelSection): Set<PanelSection> {
  const next = new Set(open);
  if (next.has(section)) next.delete(section);
  else next.add(section);
  return next;
}
