// Moving a keyboard focus between the board's cards (pure): up/down within a column, left/right to the nearest
// column that has cards (keeping the row where it can), Home/End to a column's ends.
import type { TaskStatus } from '../../api/generated/types';
import { STATUSES, type Columns } from '../board/logic';

export type CardMove = 'up' | 'down' | 'left' | 'right' | 'first' | 'last';

export type CardPosition = { status: TaskStatus; index: number };

export function positionOf(columns: Columns, taskId: string | null): CardPosition | null {
  if (!taskId) return null;
  for (const status of STATUSES) {
    const index = columns[status].findIndex((t) => t.id === taskId);
    if (index >= 0) return { status, index };
  }
  return null;
}

/** The first card of the first column that has one. */
export function firstCard(columns: Columns): string | null {
  for (const status of STATUSES) {
    const task = columns[status][0];
    if (task) return task.id;
  }
  return null;
}

/**
 * The card a move lands on. From no card (or one no longer shown) any move lands on the first card; at an edge
 * the focus stays where it is. Null only when no card is shown.
 */
export function nextCard(columns: Columns, current: string | null, move: CardMove): string | null {
  const at = positionOf(columns, current);
  if (!at) return firstCard(columns);
  const column = columns[at.status];
  const idAt = (status: TaskStatus, index: number) => columns[status][index]?.id ?? null;
  switch (move) {
    case 'up':
      return idAt(at.status, Math.max(0, at.index - 1));
    case 'down':
      return idAt(at.status, Math.min(column.length - 1, at.index + 1));
    case 'first':
      return idAt(at.status, 0);
    case 'last':
      return idAt(at.status, column.length - 1);
    case 'left':
    case 'right': {
      const step = move === 'left' ? -1 : 1;
      const from = STATUSES.indexOf(at.status);
      for (let i = from + step; i >= 0 && i < STATUSES.length; i += step) {
        const status = STATUSES[i];
        if (!status) break;
        const length = columns[status].length;
        if (length > 0) return idAt(status, Math.min(at.index, length - 1));
      }
      return current;
    }
  }
}
