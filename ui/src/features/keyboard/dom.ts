// The keyboard layer's view of the page: which card has the focus, whether a dialog is in the way, the terminal.
import { requestReveal } from '../board/reveal';

const BOARD = '[data-testid="board"]';
const CARD = '[data-testid="task-card"]';

/** The task id of the board card `el` is (or is inside), or null. */
export function cardIdOf(el: unknown): string | null {
  if (!(el instanceof Element)) return null;
  const card = el.closest<HTMLElement>(`${BOARD} ${CARD}`);
  return card?.dataset.taskId ?? null;
}

function cardElement(taskId: string): HTMLElement | null {
  return document.querySelector<HTMLElement>(`${BOARD} ${CARD}[data-task-id="${CSS.escape(taskId)}"]`);
}

/** Moves the focus to a card, scrolling its column to it first when the card is not mounted (virtualised). */
export function focusCard(taskId: string): void {
  const show = (el: HTMLElement) => {
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  };
  const el = cardElement(taskId);
  if (el) return show(el);
  requestReveal(taskId);
  let frames = 0;
  const retry = () => {
    const found = cardElement(taskId);
    if (found) show(found);
    else if (++frames < 30) requestAnimationFrame(retry);
  };
  requestAnimationFrame(retry);
}

/** Open modal dialogs, except the task panel when `allowTaskPanel` (it sits beside the board). */
export function modalOpen({ allowTaskPanel = false } = {}): boolean {
  return [...document.querySelectorAll('[aria-modal="true"]')].some(
    (el) => !(allowTaskPanel && el.matches('[data-testid="task-panel"]')),
  );
}

/** Keys pressed inside these regions are theirs (the Changes view has its own j/k/s; toasts their reply box). */
export function inOwnKeysRegion(target: unknown): boolean {
  return target instanceof Element && target.closest('[role="dialog"], [data-testid="changes-view"], .toasts') !== null;
}

/** Arrow keys move between cards only from a card, the board, or nowhere in particular (the page body). */
export function arrowsBelongToBoard(target: unknown): boolean {
  if (!(target instanceof Element)) return true;
  return target === document.body || target === document.documentElement || target.closest(BOARD) !== null;
}

/** A card is being dragged (pointer or keyboard): the arrows are dnd-kit's. */
export function dragging(): boolean {
  return document.querySelector(`${BOARD} .card-dragging, [data-testid="task-card-overlay"]`) !== null;
}

/** The terminals on screen, live ones first. */
function terminals(): HTMLElement[] {
  const all = [...document.querySelectorAll<HTMLElement>('[data-testid="run-terminal"]')];
  return [...all.filter((t) => t.dataset.state !== 'ended'), ...all.filter((t) => t.dataset.state === 'ended')];
}

export function hasTerminal(): boolean {
  return terminals().length > 0;
}

/** Focuses the first terminal's input (xterm's textarea); false when none is shown. */
export function focusTerminal(): boolean {
  for (const frame of terminals()) {
    const input = frame.querySelector<HTMLElement>('.xterm-helper-textarea');
    if (input) {
      frame.scrollIntoView({ block: 'nearest' });
      input.focus();
      return true;
    }
  }
  return false;
}

export function focusSearch(): void {
  const input = document.querySelector<HTMLInputElement>('[data-testid="search-input"]');
  input?.focus();
  input?.select();
}
