// Ctrl/Cmd+K: every action in one list, filtered as you type (fuzzy), run with Enter or a click.
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { isPaletteCombo } from '../shortcuts/shortcuts';
import type { Command } from './commands';
import { rank } from './fuzzy';

/** Rows drawn at once; a sharper query narrows it (a board may hold thousands of tasks). */
const LIMIT = 60;

type Props = { commands: readonly Command[]; onClose: () => void };

export function CommandPalette({ commands, onClose }: Props) {
  const listId = useId();
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const inputRef = useRef<HTMLInputElement>(null);
  const listRef = useRef<HTMLUListElement>(null);

  const results = useMemo(() => rank(commands, query, (c) => c.title, (c) => c.keywords ?? '', LIMIT), [commands, query]);
  const current = Math.min(active, Math.max(0, results.length - 1));

  // Focus moves in; it goes back where it was when the palette closes (unless what ran moved it on).
  useEffect(() => {
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    inputRef.current?.focus();
    return () => {
      if (previous?.isConnected && (document.activeElement === document.body || document.activeElement === null)) previous.focus();
    };
  }, []);

  useEffect(() => {
    listRef.current?.querySelector<HTMLElement>(`[data-index="${current}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [current]);

  const runAt = (index: number) => {
    const command = results[index]?.item;
    if (!command) return;
    onClose();
    command.run();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const move = (to: number) => {
      e.preventDefault();
      if (results.length > 0) setActive((to + results.length) % results.length);
    };
    if (e.key === 'Escape' || isPaletteCombo(e)) {
      e.preventDefault();
      e.stopPropagation();
      onClose();
    } else if (e.key === 'ArrowDown' || (e.ctrlKey && e.key === 'n')) move(current + 1);
    else if (e.key === 'ArrowUp' || (e.ctrlKey && e.key === 'p')) move(current - 1);
    else if (e.key === 'PageDown') move(Math.min(results.length - 1, current + 8));
    else if (e.key === 'PageUp') move(Math.max(0, current - 8));
    else if (e.key === 'Enter') {
      e.preventDefault();
      e.stopPropagation();
      runAt(current);
    } else if (e.key === 'Tab') {
      // The input is the only stop: keep the focus in the palette.
      e.preventDefault();
    }
  };

  const optionId = (i: number) => `${listId}-${i}`;
  return (
    <div className="palette-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="palette" role="dialog" aria-modal="true" aria-label="Command palette" data-testid="command-palette" onKeyDown={onKeyDown}>
        <input
          ref={inputRef}
          className="palette-input"
          data-testid="palette-input"
          role="combobox"
          aria-expanded="true"
          aria-controls={listId}
          aria-activedescendant={results.length > 0 ? optionId(current) : undefined}
          aria-autocomplete="list"
          placeholder="Type a command, a task or #id…"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
          }}
          autoComplete="off"
          spellCheck={false}
        />
        <ul className="palette-list" id={listId} role="listbox" aria-label="Commands" ref={listRef}>
          {results.map((r, i) => (
            <li
              key={r.item.id}
              id={optionId(i)}
              role="option"
              aria-selected={i === current}
              className="palette-item"
              data-testid="palette-item"
              data-command={r.item.id}
              data-index={i}
              onMouseMove={() => i !== current && setActive(i)}
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => runAt(i)}
            >
              <span className="palette-title">{highlight(r.item.title, r.indices)}</span>
              <span className="palette-group">{r.item.group}</span>
              {r.item.keys && <kbd className="palette-keys">{r.item.keys}</kbd>}
            </li>
          ))}
        </ul>
        {results.length === 0 && (
          <p className="palette-empty muted" role="status">
            Nothing matches “{query.trim()}”.
          </p>
        )}
        <p className="palette-help muted small">
          <kbd>↑</kbd> <kbd>↓</kbd> to choose · <kbd>Enter</kbd> to run · <kbd>Esc</kbd> to close
        </p>
      </div>
    </div>
  );
}

/** The title with the matched letters marked. */
function highlight(text: string, indices: readonly number[]): ReactNode {
  if (indices.length === 0) return text;
  const marked = new Set(indices);
  const parts: ReactNode[] = [];
  let run = '';
  let inMark = false;
  const flush = (key: number) => {
    if (!run) return;
    parts.push(inMark ? <mark key={key}>{run}</mark> : run);
    run = '';
  };
  text.split('').forEach((ch, i) => {
    const m = marked.has(i);
    if (m !== inMark) {
      flush(i);
      inMark = m;
    }
    run += ch;
  });
  flush(text.length);
  return parts;
}
