// A run's terminal: xterm.js bound to the run's PTY WebSocket (ptySocket.ts). While the run is active the view
// fits its container and the PTY follows (the last viewer to resize wins); a finished run is shown at the size
// it ran at, so full-screen output lays out as it did. One Terminal serves a run for its whole life: a queued run
// connects at once (the server holds the socket until the agent starts), so nothing re-mounts when it starts.
// Keys (terminalKeys.ts): Esc goes to the agent; Ctrl+Shift+X leaves the terminal for its frame, where Esc closes
// the panel, `f` maximises and Enter goes back; Ctrl+Shift+C/V copy and paste, Ctrl+Shift+F finds in the
// scrollback, Ctrl+Shift+M maximises to the whole window and restores. Ctrl+Shift+G (the Tiles view) and the
// caller's `passKey` keys (the tiles' focus keys) are not the agent's: they go on to the page.
import { useCallback, useEffect, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { WebLinksAddon } from '@xterm/addon-web-links';
import type { Terminal as XTerm } from '@xterm/xterm';
import { openExternal } from '../../platform';
import type { RunStatus } from '../../api/generated/types';
import { PtyClient, browserPtySocket, ptyUrl, type ErrorFrame, type ExitFrame, type PtyState } from './ptySocket';
import { createXterm } from './xterm';
import { OutputPacer } from './outputPacer';
import { frameKeyAction, terminalKeyAction, type TerminalKeyAction } from './terminalKeys';
import { isTilesToggle, keyLike } from '../../lib/keys';
import { exitLabel, isActive } from '../../lib/format';
import { ticket } from '../../api/auth';

type Props = {
  runId: string;
  /** The run's status as last loaded; while queued/starting/running keystrokes and size go to the agent. */
  status: RunStatus;
  /** Place in the queue while queued. */
  queuePosition: number | null;
  /** The PTY size the run used (for showing a finished run). */
  cols: number;
  rows: number;
  /** The stream ended (exit or error frame): the caller refetches the run. */
  onEnded?: () => void;
  /** Keys the page handles even while the terminal has focus (xterm ignores them and they bubble on). */
  passKey?: (e: KeyboardEvent) => boolean;
  /** A small terminal (a tile): no key hints in its bar. */
  compact?: boolean;
};

/**
 * Benchmarks only (tests/e2e/bench/cockpit.mjs): a page hook, set before the app loads, told when xterm has parsed
 * each chunk of output. Absent in normal use, where output is written without a callback.
 */
type OutputProbe = (runId: string, bytes: Uint8Array) => void;
const outputProbe = (): OutputProbe | undefined => (window as { __vibanOutputProbe?: OutputProbe }).__vibanOutputProbe;

/** Resizes that follow each other this closely (dragging a window edge) reach the agent as one SIGWINCH. */
const RESIZE_SETTLE_MS = 120;
const FINISHED_RUN_RETRIES = 4;

export function Terminal({ runId, status, queuePosition, cols, rows, onEnded, passKey, compact = false }: Props) {
  const active = isActive(status);
  const screenRef = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<PtyState>('connecting');
  const [exit, setExit] = useState<ExitFrame | null>(null);
  const [failure, setFailure] = useState<ErrorFrame | null>(null);
  const [storePaused, setStorePaused] = useState<string | null>(null);

  // Read inside long-lived callbacks, so a re-render never tears the connection down.
  const activeRef = useRef(active);
  activeRef.current = active;
  const onEndedRef = useRef(onEnded);
  onEndedRef.current = onEnded;
  const passKeyRef = useRef(passKey);
  passKeyRef.current = passKey;
  const initialSize = useRef({ cols, rows });

  const frameRef = useRef<HTMLDivElement>(null);
  const termRef = useRef<XTerm | null>(null);
  const searchRef = useRef<SearchAddon | null>(null);
  const [maximized, setMaximized] = useState(false);
  const [finding, setFinding] = useState(false);
  const [frameFocused, setFrameFocused] = useState(false);
  const [copied, setCopied] = useState<string | null>(null);

  const toggleMaximized = useCallback(() => setMaximized((m) => !m), []);
  const runAction = useCallback((action: TerminalKeyAction) => {
    const term = termRef.current;
    switch (action) {
      case 'copy': {
        const text = term?.getSelection() ?? '';
        if (!text) return;
        void navigator.clipboard?.writeText(text).then(
          () => setCopied('Copied'),
          () => setCopied('Copy was refused by the browser'),
        );
        return;
      }
      case 'find':
        setFinding(true);
        return;
      case 'maximize':
        setMaximized((m) => !m);
        return;
      case 'leave':
        frameRef.current?.focus();
        return;
      case 'paste':
        return; // the browser's own paste event reaches xterm, which sends it to the agent (bracketed if asked)
    }
  }, []);
  const runActionRef = useRef(runAction);
  runActionRef.current = runAction;

  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(null), 1500);
    return () => clearTimeout(timer);
  }, [copied]);

  useEffect(() => {
    const screen = screenRef.current;
    if (!screen) return;
    const term = createXterm({ cols: initialSize.current.cols, rows: initialSize.current.rows });
    termRef.current = term;
    const fit = new FitAddon();
    term.loadAddon(fit);
    const search = new SearchAddon();
    term.loadAddon(search);
    searchRef.current = search;
    term.loadAddon(
      new WebLinksAddon((event, uri) => {
        event.preventDefault();
        openExternal(uri);
      }),
    );
    term.attachCustomKeyEventHandler((e) => {
      // Not the agent's, and not stopped: the page's own listeners act on them (keypress/keyup too are ignored).
      if (isTilesToggle(keyLike(e, 'keydown')) || passKeyRef.current?.(e)) return false;
      const action = terminalKeyAction(e);
      if (action === null) {
        // Esc is the agent's: never let it bubble to the panel (which would close).
        if (e.key === 'Escape') e.stopPropagation();
        return true;
      }
      // Paste: the browser's default action (a paste event on xterm's textarea) does the work.
      if (action !== 'paste') {
        e.preventDefault();
        e.stopPropagation();
        runActionRef.current(action);
      }
      return false;
    });
    term.open(screen);

    // Output is written at once into the terminal with the keyboard, in batches into the others (outputPacer.ts).
    const probe = outputProbe();
    const pacer = new OutputPacer({
      write: probe ? (bytes) => term.write(bytes, () => probe(runId, bytes)) : (bytes) => term.write(bytes),
    });
    const input = term.textarea;
    const onInputFocus = () => pacer.setImmediate(true);
    const onInputBlur = () => pacer.setImmediate(false);
    input?.addEventListener('focus', onInputFocus);
    input?.addEventListener('blur', onInputBlur);
    pacer.setImmediate(input !== undefined && document.activeElement === input);

    const client = new PtyClient({
      url: (from) => ptyUrl(window.location, runId, from),
      ticket,
      createSocket: browserPtySocket,
      // A finished run is served from its stored transcript: if that keeps failing, say so instead of retrying.
      retryLimit: () => (activeRef.current ? Infinity : FINISHED_RUN_RETRIES),
      onState: setState,
      onScreen: (frame) => {
        pacer.discard(); // the snapshot already holds it
        term.reset();
        // Draw the screen at the size it was captured at; fitting afterwards reflows it and tells the agent.
        if (frame.cols > 0 && frame.rows > 0) term.resize(frame.cols, frame.rows);
        term.write(frame.data);
        fitToContainer();
      },
      onOutput: (bytes) => pacer.push(bytes),
      onExit: (frame) => {
        pacer.flush();
        setExit(frame);
        term.options.disableStdin = true;
        onEndedRef.current?.();
      },
      onError: (frame) => {
        pacer.flush();
        setFailure(frame);
        onEndedRef.current?.();
      },
      onStore: (frame) => setStorePaused(frame.paused),
    });

    let settleTimer: ReturnType<typeof setTimeout> | null = null;
    function fitToContainer() {
      if (!activeRef.current) return;
      // Zero-sized while hidden (collapsed panel): keep the last size instead of shrinking to nothing.
      const proposed = fit.proposeDimensions();
      if (!proposed || proposed.cols < 2 || proposed.rows < 2) return;
      fit.fit();
      if (settleTimer !== null) clearTimeout(settleTimer);
      settleTimer = setTimeout(() => {
        settleTimer = null;
        if (activeRef.current) client.resize(term.cols, term.rows);
      }, RESIZE_SETTLE_MS);
    }

    const observer = new ResizeObserver(() => fitToContainer());
    observer.observe(screen);
    // Zoom changes the cell size without resizing the box; a font that loads late changes the cell's measure.
    window.addEventListener('resize', fitToContainer);
    const fonts = typeof document !== 'undefined' ? document.fonts : undefined;
    let disposed = false;
    const onFontsLoaded = () => {
      if (disposed) return;
      const family = term.options.fontFamily;
      term.options.fontFamily = 'monospace'; // changing the family makes xterm measure the cell again
      term.options.fontFamily = family;
      fitToContainer();
    };
    void fonts?.ready.then(onFontsLoaded);
    fonts?.addEventListener('loadingdone', onFontsLoaded);
    const typed = term.onData((data) => {
      if (activeRef.current) client.sendInput(data);
    });
    const typedBinary = term.onBinary((data) => {
      if (activeRef.current) client.sendBinaryString(data);
    });
    client.start();

    return () => {
      disposed = true;
      pacer.discard();
      input?.removeEventListener('focus', onInputFocus);
      input?.removeEventListener('blur', onInputBlur);
      if (settleTimer !== null) clearTimeout(settleTimer);
      observer.disconnect();
      window.removeEventListener('resize', fitToContainer);
      fonts?.removeEventListener('loadingdone', onFontsLoaded);
      termRef.current = null;
      searchRef.current = null;
      typed.dispose();
      typedBinary.dispose();
      client.stop();
      term.dispose();
    };
  }, [runId]);

  const onFrameKeyDown = (e: ReactKeyboardEvent<HTMLDivElement>) => {
    if (e.target !== e.currentTarget) return; // keys typed into the terminal or the find bar are theirs
    switch (frameKeyAction(e, maximized)) {
      case 'maximize':
        e.preventDefault();
        toggleMaximized();
        return;
      case 'restore':
        e.preventDefault();
        e.stopPropagation();
        setMaximized(false);
        return;
      case 'enter':
        e.preventDefault();
        termRef.current?.focus();
        return;
      case null:
        return;
    }
  };

  const closeFind = () => {
    setFinding(false);
    searchRef.current?.clearDecorations();
    termRef.current?.focus();
  };

  return (
    <div
      ref={frameRef}
      className={`run-terminal${maximized ? ' run-terminal-max' : ''}`}
      data-testid="run-terminal"
      data-state={state}
      data-run-status={status}
      data-maximized={maximized}
      tabIndex={-1}
      aria-label="Agent terminal"
      onKeyDown={onFrameKeyDown}
      onFocus={(e) => setFrameFocused(e.target === e.currentTarget)}
      onBlur={(e) => {
        if (e.target === e.currentTarget) setFrameFocused(false);
      }}
    >
      <div className="run-terminal-bar">
        {status === 'queued' && state !== 'ended' ? (
          <span className="run-terminal-state" role="status" data-testid="run-terminal-queued">
            Queued{queuePosition !== null ? ` (#${queuePosition})` : ''}: the agent starts when a slot frees up.
          </span>
        ) : status === 'starting' && state === 'live' ? (
          <span className="run-terminal-state" role="status" data-testid="run-terminal-preparing">
            <span className="spinner" aria-hidden="true" /> Preparing: the project's setup script runs, then the agent starts.
          </span>
        ) : storePaused !== null && state === 'live' ? (
          <span className="run-terminal-state run-terminal-paused" role="alert" data-testid="run-terminal-store-paused">
            {storePaused.charAt(0).toUpperCase() + storePaused.slice(1)}.
          </span>
        ) : (
          <TerminalState state={state} exit={exit} failure={failure} />
        )}
        <span className="spacer" />
        {copied && (
          <span className="muted small" role="status">
            {copied}
          </span>
        )}
        <span className="run-terminal-keys muted small" data-testid="run-terminal-keys">
          {frameFocused ? (
            <>
              <kbd>Esc</kbd> {maximized ? 'restores' : 'closes the panel'} · <kbd>f</kbd> {maximized ? 'restore' : 'maximise'} ·{' '}
              <kbd>Enter</kbd> back to the terminal
            </>
          ) : active && state !== 'ended' && !compact ? (
            <>
              <kbd>Esc</kbd> goes to the agent · <kbd>Ctrl+Shift+X</kbd> leaves the terminal
            </>
          ) : null}
        </span>
        <button
          type="button"
          className="button button-small"
          data-testid="run-terminal-find"
          title="Find in the scrollback (Ctrl+Shift+F)"
          onClick={() => setFinding(true)}
        >
          Find
        </button>
        <button
          type="button"
          className="button button-small"
          data-testid="run-terminal-maximize"
          title={`${maximized ? 'Restore' : 'Maximise'} (Ctrl+Shift+M in the terminal, f on its frame)`}
          aria-pressed={maximized}
          onClick={toggleMaximized}
        >
          {maximized ? 'Restore' : 'Maximise'}
        </button>
      </div>
      {finding && <FindBar search={searchRef.current} onClose={closeFind} />}
      <div className="run-terminal-body">
        <div className="run-terminal-screen" ref={screenRef} />
      </div>
    </div>
  );
}

/** Find in the scrollback: Enter for the next match, Shift+Enter the previous, Esc back to the terminal. */
function FindBar({ search, onClose }: { search: SearchAddon | null; onClose: () => void }) {
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<boolean | null>(null);
  const find = (q: string, backwards: boolean, incremental: boolean) => {
    if (!search || !q) {
      setFound(null);
      search?.clearDecorations();
      return;
    }
    setFound(backwards ? search.findPrevious(q) : search.findNext(q, { incremental }));
  };
  return (
    <div className="run-terminal-find" role="search" data-testid="run-terminal-findbar" data-found={found === null ? '' : String(found)}>
      <input
        autoFocus
        type="search"
        aria-label="Find in the terminal"
        placeholder="Find in the scrollback"
        data-testid="run-terminal-find-input"
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          find(e.target.value, false, true);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            e.stopPropagation();
            onClose();
          } else if (e.key === 'Enter') {
            e.preventDefault();
            find(query, e.shiftKey, false);
          }
        }}
      />
      <span className="muted small" role="status">
        {found === false ? 'No match' : ''}
      </span>
      <button type="button" className="button button-small" onClick={() => find(query, true, false)} aria-label="Previous match">
        ↑
      </button>
      <button type="button" className="button button-small" onClick={() => find(query, false, false)} aria-label="Next match">
        ↓
      </button>
      <button type="button" className="button button-small" onClick={onClose} aria-label="Close the find bar">
        ×
      </button>
    </div>
  );
}

function TerminalState({ state, exit, failure }: { state: PtyState; exit: ExitFrame | null; failure: ErrorFrame | null }) {
  switch (state) {
    case 'connecting':
      return <span className="run-terminal-state">Connecting…</span>;
    case 'live':
      return (
        <span className="run-terminal-state run-terminal-live">
          <span className="run-terminal-dot" aria-hidden="true" /> Live
        </span>
      );
    case 'reconnecting':
      return (
        <span className="run-terminal-state run-terminal-reconnecting" role="status">
          <span className="run-terminal-dot" aria-hidden="true" /> Reconnecting…
        </span>
      );
    case 'ended':
      if (failure)
        return (
          <span className="run-terminal-state run-terminal-failed" role="status">
            Terminal unavailable: {failure.message}
          </span>
        );
      return (
        <span className="run-terminal-state" role="status">
          Ended{exit ? ` — ${endedLabel(exit.status, exit.exitCode)}` : ''}
        </span>
      );
  }
}

function endedLabel(status: RunStatus, exitCode: number | null): string {
  const code = exitLabel(exitCode);
  return code ? `${status} (${code})` : status;
}
