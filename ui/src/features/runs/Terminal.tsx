// A run's terminal: xterm.js bound to the run's PTY WebSocket (ptySocket.ts). While the run is active the view
// fits its container and the PTY follows (the last viewer to resize wins); a finished run is shown at the size
// it ran at, so full-screen output lays out as it did. One Terminal serves a run for its whole life: a queued run
// connects at once (the server holds the socket until the agent starts), so nothing re-mounts when it starts.
import { useEffect, useRef, useState } from 'react';
import { FitAddon } from '@xterm/addon-fit';
import type { RunStatus } from '../../api/generated/types';
import { api } from '../../api/client';
import { exitLabel, isActive } from './runFormat';
import { PtyClient, browserPtySocket, ptyUrl, type ErrorFrame, type ExitFrame, type PtyState } from './ptySocket';
import { createXterm } from './xterm';

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
};

/** Resizes that follow each other this closely (dragging a window edge) reach the agent as one SIGWINCH. */
const RESIZE_SETTLE_MS = 120;
const FINISHED_RUN_RETRIES = 4;

export function Terminal({ runId, status, queuePosition, cols, rows, onEnded }: Props) {
  const active = isActive(status);
  const screenRef = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<PtyState>('connecting');
  const [exit, setExit] = useState<ExitFrame | null>(null);
  const [failure, setFailure] = useState<ErrorFrame | null>(null);

  // Read inside long-lived callbacks, so a re-render never tears the connection down.
  const activeRef = useRef(active);
  activeRef.current = active;
  const onEndedRef = useRef(onEnded);
  onEndedRef.current = onEnded;
  const initialSize = useRef({ cols, rows });

  useEffect(() => {
    const screen = screenRef.current;
    if (!screen) return;
    const term = createXterm({ cols: initialSize.current.cols, rows: initialSize.current.rows });
    const fit = new FitAddon();
    term.loadAddon(fit);
    // Esc belongs to the panel (it closes it, as everywhere in the app); Ctrl+[ sends ESC to the agent.
    term.attachCustomKeyEventHandler((e) => e.key !== 'Escape');
    term.open(screen);

    const client = new PtyClient({
      url: (from) => ptyUrl(window.location, runId, from),
      ticket: api.ticket,
      createSocket: browserPtySocket,
      // A finished run is served from its stored transcript: if that keeps failing, say so instead of retrying.
      retryLimit: () => (activeRef.current ? Infinity : FINISHED_RUN_RETRIES),
      onState: setState,
      onScreen: (frame) => {
        term.reset();
        // Draw the screen at the size it was captured at; fitting afterwards reflows it and tells the agent.
        if (frame.cols > 0 && frame.rows > 0) term.resize(frame.cols, frame.rows);
        term.write(frame.data);
        fitToContainer();
      },
      onOutput: (bytes) => term.write(bytes),
      onExit: (frame) => {
        setExit(frame);
        term.options.disableStdin = true;
        onEndedRef.current?.();
      },
      onError: (frame) => {
        setFailure(frame);
        onEndedRef.current?.();
      },
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
    const typed = term.onData((data) => {
      if (activeRef.current) client.sendInput(data);
    });
    const typedBinary = term.onBinary((data) => {
      if (activeRef.current) client.sendBinaryString(data);
    });
    client.start();

    return () => {
      if (settleTimer !== null) clearTimeout(settleTimer);
      observer.disconnect();
      typed.dispose();
      typedBinary.dispose();
      client.stop();
      term.dispose();
    };
  }, [runId]);

  return (
    <div className="run-terminal" data-testid="run-terminal" data-state={state} data-run-status={status}>
      <div className="run-terminal-bar">
        {status === 'queued' && state !== 'ended' ? (
          <span className="run-terminal-state" role="status" data-testid="run-terminal-queued">
            Queued{queuePosition !== null ? ` (#${queuePosition})` : ''}: the agent starts when a slot frees up.
          </span>
        ) : (
          <TerminalState state={state} exit={exit} failure={failure} />
        )}
        <span className="spacer" />
        {active && state !== 'ended' && (
          <span className="muted small">
            <kbd>Esc</kbd> closes the panel · <kbd>Ctrl</kbd>+<kbd>[</kbd> sends Esc to the agent
          </span>
        )}
      </div>
      <div className="run-terminal-screen" ref={screenRef} />
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
