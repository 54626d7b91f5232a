import { useSyncExternalStore, type ReactNode } from 'react';
import { loadOpenSections, storeOpenSections, toggleSection, type PanelSection } from './panelLayout';

// The open sections, shared by every Fold on the page (one localStorage key).
const listeners = new Set<() => void>();
let openSections: ReadonlySet<PanelSection> | null = null;
const storage = (): Storage | null => (typeof localStorage === 'undefined' ? null : localStorage);
const current = () => (openSections ??= loadOpenSections(storage()));
const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};

/**
 * A section that folds away while `foldable` (a live run leads the panel). The children stay mounted in both
 * states (the same element tree), so a half-typed task form or the start form keeps its text.
 */
export function Fold({ section, label, foldable, order, children }: { section: PanelSection; label: string; foldable: boolean; order: number; children: ReactNode }) {
  const open = useSyncExternalStore(subscribe, current).has(section);
  const shown = !foldable || open;
  const toggle = () => {
    openSections = toggleSection(current(), section);
    storeOpenSections(storage(), openSections);
    listeners.forEach((l) => l());
  };
  return (
    <div className={`panel-fold${foldable ? ' panel-fold-foldable' : ''}`} style={{ order }} data-testid={`panel-fold-${section}`} data-open={shown}>
      {foldable && (
        <button type="button" className="panel-fold-toggle" aria-expanded={open} data-testid={`panel-fold-${section}-toggle`} onClick={toggle}>
          <span aria-hidden="true">{open ? '▾' : '▸'}</span> {label}
        </button>
      )}
      <div hidden={!shown}>{children}</div>
    </div>
  );
}
