// dnd-kit glue: ids and data of droppables, collision detection, drop placement and screen-reader announcements.
import {
  closestCenter,
  closestCorners,
  pointerWithin,
  type Active,
  type Announcements,
  type CollisionDetection,
  type Over,
} from '@dnd-kit/core';
import type { TaskStatus } from '../../api/generated/types';
import { STATUS_LABELS, findTask, isTaskStatus, placementWithinColumn, resolveDrop, type Columns, type DropPlacement } from './logic';

export type DndData = { type: 'card' | 'column'; status: TaskStatus };

export const columnDndId = (status: TaskStatus) => `column:${status}`;

export function dndData(node: { data: { current?: unknown } } | null | undefined): DndData | null {
  const d = node?.data.current as Partial<DndData> | undefined;
  if (!d || (d.type !== 'card' && d.type !== 'column') || !isTaskStatus(d.status)) return null;
  return { type: d.type, status: d.status };
}

/**
 * Pointer: the card under the pointer; between cards, the nearest card of the column under the pointer; an empty
 * column itself. Keyboard (no pointer): the closest corners, which moves between neighbours and columns.
 */
export const boardCollisionDetection: CollisionDetection = (args) => {
  if (!args.pointerCoordinates) return closestCorners(args);
  const within = pointerWithin(args);
  const card = within.find((c) => dndData(args.droppableContainers.find((d) => d.id === c.id))?.type === 'card');
  if (card) return [card];
  const column = within.find((c) => String(c.id).startsWith('column:'));
  if (!column) return [];
  const status = String(column.id).slice('column:'.length);
  const cards = args.droppableContainers.filter((d) => {
    const data = dndData(d);
    return data?.type === 'card' && data.status === status;
  });
  if (cards.length === 0) return [column];
  const nearest = closestCenter({ ...args, droppableContainers: cards });
  return nearest.length ? nearest.slice(0, 1) : [column];
};

/**
 * Where a drop lands, as a placement relative to the visible cards. Within the active card's column the
 * sortable rule applies (as the preview showed); in another column, above or below the middle of the card.
 */
export function dropPlacement(active: Active, over: Over | null, visible: Columns): DropPlacement | null {
  if (!over) return null;
  const target = dndData(over);
  const source = dndData(active);
  if (!target || !source) return null;
  if (target.type === 'column') return { status: target.status, anchorId: null, place: 'after' };
  const overId = String(over.id);
  if (target.status === source.status) {
    const list = visible[target.status];
    const from = list.findIndex((t) => t.id === active.id);
    const to = list.findIndex((t) => t.id === overId);
    if (from < 0 || to < 0) return null;
    return { status: target.status, anchorId: overId, place: placementWithinColumn(from, to) };
  }
  const r = active.rect.current.translated;
  const below = r ? r.top + r.height / 2 > over.rect.top + over.rect.height / 2 : false;
  return { status: target.status, anchorId: overId, place: below ? 'after' : 'before' };
}

export function samePlacement(a: DropPlacement | null, b: DropPlacement | null): boolean {
  if (a === null || b === null) return a === b;
  return a.status === b.status && a.anchorId === b.anchorId && a.place === b.place;
}

/** Screen-reader messages that name the task, the column and the resulting position. */
export function boardAnnouncements(columns: () => Columns, visible: () => Columns): Announcements {
  const title = (id: string | number) => {
    const loc = findTask(columns(), String(id));
    return loc ? `“${loc.task.title}”` : 'task';
  };
  const where = (active: Active, over: Over | null): string | null => {
    if (!over) return null;
    const placement = dropPlacement(active, over, visible());
    if (!placement) return null;
    const target = resolveDrop(columns(), String(active.id), placement);
    if (!target) {
      const loc = findTask(columns(), String(active.id));
      return loc ? `its original place in ${STATUS_LABELS[loc.status]}` : null;
    }
    return `${STATUS_LABELS[target.status]}, position ${target.index + 1}`;
  };
  return {
    onDragStart({ active }) {
      const loc = findTask(columns(), String(active.id));
      if (!loc) return 'Picked up a task.';
      return `Picked up ${title(active.id)} in ${STATUS_LABELS[loc.status]}, position ${loc.index + 1} of ${columns()[loc.status].length}.`;
    },
    onDragOver({ active, over }) {
      const w = where(active, over);
      return w ? `${title(active.id)} would move to ${w}.` : `${title(active.id)} is not over a column.`;
    },
    onDragEnd({ active, over }) {
      const w = where(active, over);
      return w ? `${title(active.id)} was dropped in ${w}.` : `${title(active.id)} was dropped back where it was.`;
    },
    onDragCancel({ active }) {
      return `Moving ${title(active.id)} was cancelled; it stays where it was.`;
    },
  };
}

export const screenReaderInstructions = {
  draggable:
    'To pick up a task, press Space. While dragging, use the arrow keys to move it within a column or to another ' +
    'column. Press Space again to drop it, or Escape to cancel. Press Enter to open the task.',
};
