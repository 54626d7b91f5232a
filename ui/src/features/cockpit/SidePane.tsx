// The pane beside the board that holds a task or the Tiles view (issue 11, item 2). Not modal: the board stays
// usable (drag and drop, open another card) while it is open. Its left edge resizes it (drag, or arrows on the
// focused handle; a double click goes back to the default); the width is kept per mode. Below NARROW_VIEWPORT it
// covers the window instead. Esc inside it closes it, like the dialog it replaced.
import { useEffect, useId, useRef, useState, type KeyboardEvent, type PointerEvent, type ReactNode } from 'react';
import { RESIZE_STEP, clampPaneWidth, isNarrow, maxPaneWidth, paneWidth, PANE_MIN, type PaneMode } from './layout';
import { setPaneWidth, useCockpit } from './store';
import './cockpit.css';

type Props = {
  mode: PaneMode;
  title: ReactNode;
  onClose: () => void;
  children: ReactNode;
  className?: string;
  testId?: string;
  /** Buttons in the header, before ×. */
  actions?: ReactNode;
  /** Keys handled inside the pane first (e.g. Ctrl+Enter to save); a prevented key is not looked at again. */
  onKeyDown?: (e: KeyboardEvent<HTMLDivElement>) => void;
  /** Move focus into the pane when it opens (the first [data-autofocus] or focusable element). Default true. */
  autoFocus?: boolean;
};

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function useViewportWidth(): number {
  const [width, setWidth] = useState(() => (typeof window === 'undefined' ? 1280 : window.innerWidth));
  useEffect(() => {
    const onResize = () => setWidth(window.innerWidth);
    window.addEventListener('resize', onResize);
    onResize(); // a resize between the first render and now was missed
    return () => window.removeEventListener('resize', onResize);
  }, []);
  return width;
}

export function SidePane({ mode, title, onClose, children, className, testId, actions, onKeyDown, autoFocus = true }: Props) {
  const titleId = useId();
  const ref = useRef<HTMLDivElement>(null);
  const cockpit = useCockpit();
  const viewport = useViewportWidth();
  const narrow = isNarrow(viewport);
  const [dragWidth, setDragWidth] = useState<number | null>(null);
  const width = dragWidth ?? paneWidth(cockpit, mode, viewport);

  useEffect(() => {
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const el = ref.current;
    if (autoFocus && el && !el.contains(document.activeElement)) {
      const first = el.querySelector<HTMLElement>('[data-autofocus]') ?? el.querySelector<HTMLElement>(FOCUSABLE);
      (first ?? el).focus({ preventScroll: true });
    }
    return () => {
      // Back to where the user was, unless they have moved on (clicked a card on the board meanwhile).
      const active = document.activeElement;
      if (!active || active === document.body || el?.contains(active)) previous?.focus({ preventScroll: true });
    };
    // On open (autoFocus is fixed for a pane): the pane is re-keyed for another task.
  }, [autoFocus]);

  const handleKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    onKeyDown?.(e);
    if (e.defaultPrevented) return;
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onClose();
    }
  };

  // `last` is the width the pointer asked for last; the release saves it even when that move has not rendered yet.
  const drag = useRef<{ x: number; width: number; last: number } | null>(null);
  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (e.button !== 0) return;
    e.preventDefault();
    e.currentTarget.setPointerCapture(e.pointerId);
    drag.current = { x: e.clientX, width, last: width };
    setDragWidth(width);
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (!d) return;
    // The handle is on the pane's left edge: dragging left widens it.
    d.last = clampPaneWidth(d.width + (d.x - e.clientX), viewport);
    setDragWidth(d.last);
  };
  const endDrag = () => {
    const d = drag.current;
    if (!d) return;
    drag.current = null;
    setPaneWidth(mode, d.last);
    setDragWidth(null);
  };
  const onHandleKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const step = e.key === 'ArrowLeft' ? RESIZE_STEP : e.key === 'ArrowRight' ? -RESIZE_STEP : 0;
    if (step !== 0) {
      e.preventDefault();
      setPaneWidth(mode, clampPaneWidth(width + step, viewport));
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      setPaneWidth(mode, e.key === 'Home' ? maxPaneWidth(viewport) : PANE_MIN);
    }
  };

  return (
    <div
      ref={ref}
      className={`side-pane side-pane-${mode}${narrow ? ' side-pane-narrow' : ''}${dragWidth !== null ? ' side-pane-dragging' : ''} ${className ?? ''}`}
      style={narrow ? undefined : { width }}
      role="dialog"
      aria-modal="false"
      aria-labelledby={titleId}
      tabIndex={-1}
      data-testid={testId}
      data-pane={mode}
      data-width={narrow ? 'full' : width}
      onKeyDown={handleKeyDown}
    >
      {!narrow && (
        <div
          className="side-pane-resize"
          role="separator"
          aria-orientation="vertical"
          aria-label="Resize the panel (arrow keys; double click for the default width)"
          aria-valuemin={PANE_MIN}
          aria-valuemax={maxPaneWidth(viewport)}
          aria-valuenow={width}
          tabIndex={0}
          data-testid="pane-resize"
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={endDrag}
          onPointerCancel={endDrag}
          onLostPointerCapture={endDrag}
          onDoubleClick={() => setPaneWidth(mode, null)}
          onKeyDown={onHandleKey}
        />
      )}
      <header className="modal-header side-pane-header">
        <h2 id={titleId}>{title}</h2>
        <span className="spacer" />
        {actions}
        <button type="button" className="icon-button" aria-label="Close" title="Close (Esc)" data-testid="pane-close" onClick={onClose}>
          ×
        </button>
      </header>
      <div className="modal-body side-pane-body">{children}</div>
    </div>
  );
}
