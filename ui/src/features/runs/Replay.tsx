// Plays a run's asciicast transcript into a read-only terminal, at 1x, 2x, 8x or all at once, with a progress bar
// to seek. The terminal is drawn at the transcript's size with its font shrunk to fit the box, so a wide
// transcript never scrolls sideways.
import { useEffect, useRef, useState } from 'react';
import type { Terminal as XTerm } from '@xterm/xterm';
import { errorMessage, requestText } from '../../api/client';
import { CAST_TYPE, castUrl } from '../../api/runs';
import { CastPlayer, PLAYBACK_SPEEDS, parseCast, type CastEvent, type PlaybackSpeed } from './cast';
import { createXterm } from './xterm';
import { formatCastTime } from '../../lib/format';

type Props = { runId: string; onClose: () => void };

type Phase = 'loading' | 'playing' | 'paused' | 'done' | 'failed';

const fetchCast = (runId: string): Promise<string> => requestText(castUrl(runId), CAST_TYPE);

const BASE_FONT = 13;
/** Below this the font stops shrinking and the terminal is scaled down as a picture instead. */
const MIN_FONT = 6;

/**
 * Makes the terminal's screen fit `box`'s width: the font shrinks (or grows back, up to the base size) first,
 * then, for a transcript too wide even at the smallest font, the terminal is scaled down.
 */
function fitWidth(term: XTerm, box: HTMLElement, attempts = 4): void {
  const screen = box.querySelector<HTMLElement>('.xterm-screen');
  const xterm = box.querySelector<HTMLElement>('.xterm');
  const style = getComputedStyle(box);
  const available = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  // Layout sizes: a scale already applied does not change them.
  const width = screen?.offsetWidth ?? 0;
  if (!screen || !xterm || width <= 0 || available <= 0) return;
  const size = term.options.fontSize ?? BASE_FONT;
  let next = Math.floor(((size * available) / width) * 4) / 4;
  if (width > available && next >= size) next = size - 0.25;
  next = Math.min(BASE_FONT, Math.max(MIN_FONT, next));
  if (next !== size && attempts > 0) {
    term.options.fontSize = next;
    // Glyph widths round to device pixels: check again once the new size is laid out.
    requestAnimationFrame(() => fitWidth(term, box, attempts - 1));
    return;
  }
  const scale = width > available ? available / width : 1;
  xterm.style.transformOrigin = '0 0';
  xterm.style.transform = scale < 1 ? `scale(${scale})` : '';
  // The scaled terminal keeps its layout height: take back the space it no longer covers.
  xterm.style.marginBottom = scale < 1 ? `${-(1 - scale) * xterm.offsetHeight}px` : '';
}

export function Replay({ runId, onClose }: Props) {
  const screenRef = useRef<HTMLDivElement>(null);
  const playerRef = useRef<CastPlayer | null>(null);
  const restartRef = useRef<() => void>(() => {});
  const [phase, setPhase] = useState<Phase>('loading');
  const [speed, setSpeed] = useState<PlaybackSpeed>(1);
  const [error, setError] = useState<string | null>(null);
  const [duration, setDuration] = useState(0);
  const [time, setTime] = useState(0);
  // The speed picked before the transcript arrived applies once it does.
  const speedRef = useRef(speed);
  speedRef.current = speed;

  useEffect(() => {
    const screen = screenRef.current;
    if (!screen) return;
    let disposed = false;
    const term = createXterm({ disableStdin: true, cursorBlink: false, fontSize: BASE_FONT });
    term.open(screen);
    // The replay opens where it was asked for, often below the fold of the side pane: bring it into view (xterm
    // also stops repainting a terminal that is out of view).
    screen.closest('.run-replay')?.scrollIntoView?.({ block: 'nearest' });
    const fit = () => fitWidth(term, screen);
    const observer = new ResizeObserver(fit);
    observer.observe(screen);

    const write = (events: CastEvent[]) => {
      let text = '';
      let resized = false;
      for (const event of events) {
        if (event.kind === 'output') {
          text += event.data;
          continue;
        }
        // Output before a resize was laid out for the old size: write it first.
        if (text) term.write(text);
        text = '';
        term.resize(event.cols, event.rows);
        resized = true;
      }
      if (text) term.write(text);
      if (resized) fit();
    };

    fetchCast(runId)
      .then((body) => {
        if (disposed) return;
        const cast = parseCast(body);
        const reset = () => {
          term.reset();
          term.resize(cast.width, cast.height);
          fit();
        };
        term.resize(cast.width, cast.height);
        fit();
        const player = new CastPlayer(cast.events, {
          onEvents: write,
          onEnd: () => setPhase('done'),
          onPlaying: (playing) => setPhase((p) => (playing ? 'playing' : p === 'done' ? 'done' : 'paused')),
          onReset: reset,
        });
        player.setSpeed(speedRef.current);
        playerRef.current = player;
        setDuration(player.duration);
        restartRef.current = () => {
          player.rewind();
          reset();
          player.play();
        };
        if (cast.events.length === 0) setPhase('done');
        else player.play();
      })
      .catch((e: unknown) => {
        if (disposed) return;
        setError(errorMessage(e));
        setPhase('failed');
      });

    return () => {
      disposed = true;
      observer.disconnect();
      playerRef.current?.dispose();
      playerRef.current = null;
      term.dispose();
    };
  }, [runId]);

  // The progress bar follows playback (and shows the end once done).
  useEffect(() => {
    const player = playerRef.current;
    if (!player) return;
    setTime(player.currentTime);
    if (phase !== 'playing') return;
    const timer = window.setInterval(() => setTime(player.currentTime), 100);
    return () => window.clearInterval(timer);
  }, [phase]);

  const chooseSpeed = (next: PlaybackSpeed) => {
    setSpeed(next);
    playerRef.current?.setSpeed(next);
  };

  const togglePause = () => {
    const player = playerRef.current;
    if (!player) return;
    if (phase === 'done') restartRef.current();
    else if (player.playing) player.pause();
    else player.play();
  };

  // Dragging the bar seeks at most once a frame (a seek backwards rewrites the transcript up to there).
  const pendingSeek = useRef<number | null>(null);
  const seek = (to: number) => {
    setTime(to);
    const first = pendingSeek.current === null;
    pendingSeek.current = to;
    if (!first) return;
    requestAnimationFrame(() => {
      const player = playerRef.current;
      const target = pendingSeek.current;
      pendingSeek.current = null;
      if (!player || target === null) return;
      player.seek(target);
      setTime(player.currentTime);
      setPhase(player.finished ? 'done' : player.playing ? 'playing' : 'paused');
    });
  };

  const ready = phase !== 'loading' && phase !== 'failed';
  const step = duration > 0 ? Math.max(0.01, duration / 100) : 1;
  return (
    <div className="run-terminal run-replay" data-testid="run-replay-view" data-state={phase}>
      <div className="run-terminal-bar">
        <span className="run-terminal-state">
          Replay{phase === 'done' ? ' — finished' : phase === 'paused' ? ' — paused' : ''}
        </span>
        <button
          type="button"
          className="button button-small"
          data-testid="replay-toggle"
          onClick={togglePause}
          disabled={!ready}
        >
          {phase === 'playing' ? 'Pause' : phase === 'done' ? 'Play again' : 'Resume'}
        </button>
        <span className="run-speeds" role="group" aria-label="Playback speed">
          {PLAYBACK_SPEEDS.map((s) => (
            <button
              key={String(s)}
              type="button"
              className="tab"
              aria-pressed={speed === s}
              data-testid={`replay-speed-${s}`}
              onClick={() => chooseSpeed(s)}
            >
              {s === 'instant' ? 'Instant' : `${s}×`}
            </button>
          ))}
        </span>
        <span className="spacer" />
        <button type="button" className="button button-small" data-testid="replay-close" onClick={onClose}>
          Back to live view
        </button>
      </div>
      <div className="replay-progress">
        <input
          type="range"
          className="replay-seek"
          data-testid="replay-seek"
          aria-label="Replay position"
          aria-valuetext={`${formatCastTime(time)} of ${formatCastTime(duration)}`}
          min={0}
          max={duration || 1}
          step={step}
          value={Math.min(time, duration || 1)}
          disabled={!ready || duration === 0}
          onChange={(e) => seek(Number(e.target.value))}
        />
        <span className="replay-time" data-testid="replay-time">
          {formatCastTime(time)} / {formatCastTime(duration)}
        </span>
      </div>
      {error && (
        <div className="form-error" role="alert">
          Could not load the transcript: {error}
        </div>
      )}
      {phase === 'loading' && <p className="muted small">Loading transcript…</p>}
      <div className="run-terminal-screen run-terminal-fixed run-replay-screen" ref={screenRef} data-testid="replay-screen" />
    </div>
  );
}
