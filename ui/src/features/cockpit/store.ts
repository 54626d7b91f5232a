// The cockpit's state, one per page, kept in localStorage (layout.ts says what and how). A tiny external store, so
// the pane, the Tiles view, the header button and a run's Pin button share it without threading props.
import { useSyncExternalStore } from 'react';
import { INITIAL_STATE, autoFill, loadCockpit, pin, storeCockpit, unpin, type CockpitState, type PaneMode } from './layout';

const listeners = new Set<() => void>();
let state: CockpitState | null = null;
const storage = (): Storage | null => (typeof localStorage === 'undefined' ? null : localStorage);

function current(): CockpitState {
  return (state ??= storage() ? loadCockpit(storage()) : INITIAL_STATE);
}

function update(next: CockpitState): void {
  if (next === state) return;
  state = next;
  storeCockpit(storage(), next);
  listeners.forEach((l) => l());
}

const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => {
    listeners.delete(l);
  };
};

export function useCockpit(): CockpitState {
  return useSyncExternalStore(subscribe, current, () => INITIAL_STATE);
}

export function getCockpit(): CockpitState {
  return current();
}

export function setTilesOpen(open: boolean, liveRunIds: readonly string[] = []): void {
  const s = current();
  if (s.tilesOpen === open) return;
  update({ ...s, tilesOpen: open, pinned: open ? autoFill(s.pinned, liveRunIds) : s.pinned });
}

/** Shows or hides the Tiles view (opening with nothing pinned tiles `liveRunIds`). */
export function toggleTiles(liveRunIds: readonly string[] = []): void {
  setTilesOpen(!current().tilesOpen, liveRunIds);
}

/** False when four runs are tiled already. */
export function pinRun(runId: string): boolean {
  const next = pin(current().pinned, runId);
  if (next === null) return false;
  update({ ...current(), pinned: next });
  return true;
}

export function unpinRun(runId: string): void {
  const s = current();
  if (s.pinned.includes(runId)) update({ ...s, pinned: unpin(s.pinned, runId) });
}

export function setPaneWidth(mode: PaneMode, width: number | null): void {
  const s = current();
  if (s.width[mode] !== width) update({ ...s, width: { ...s.width, [mode]: width } });
}

/** Tests: forget the in-memory copy (the next read loads localStorage again). */
export function resetCockpitForTests(): void {
  state = null;
}
