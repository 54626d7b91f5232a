// Plays a run's asciicast transcript into a read-only terminal, at 1x, 2x, 8x or all at once.
import { useEffect, useRef, useState } from 'react';
import { errorMessage, requestText } from '../../api/client';
import { CAST_TYPE, castUrl } from './api';
import { CastPlayer, PLAYBACK_SPEEDS, parseCast, type CastEvent, type PlaybackSpeed } from './cast';
import { createXterm } from './xterm';

type Props = { runId: string; onClose: () => void };

type Phase = 'loading' | 'playing' | 'paused' | 'done' | 'failed';

const fetchCast = (runId: string): Promise<string> => requestText(castUrl(runId), CAST_TYPE);

export function Replay({ runId, onClose }: Props) {
  const screenRef = useRef<HTMLDivElement>(null);
  const playerRef = useRef<CastPlayer | null>(null);
  const restartRef = useRef<() => void>(() => {});
  const [phase, setPhase] = useState<Phase>('loading');
  const [speed, setSpeed] = useState<PlaybackSpeed>(1);
  const [error, setError] = useState<string | null>(null);
  // The speed picked before the transcript arrived applies once it does.
  const speedRef = useRef(speed);
  speedRef.current = speed;

  useEffect(() => {
    const screen = screenRef.current;
    if (!screen) return;
    let disposed = false;
    const term = createXterm({ disableStdin: true, cursorBlink: false });
    term.open(screen);

    const write = (events: CastEvent[]) => {
      let text = '';
      for (const event of events) {
        if (event.kind === 'output') {
          text += event.data;
          continue;
        }
        // Output before a resize was laid out for the old size: write it first.
        if (text) term.write(text);
        text = '';
        term.resize(event.cols, event.rows);
      }
      if (text) term.write(text);
    };

    fetchCast(runId)
      .then((body) => {
        if (disposed) return;
        const cast = parseCast(body);
        term.resize(cast.width, cast.height);
        const player = new CastPlayer(cast.events, {
          onEvents: write,
          onEnd: () => setPhase('done'),
          onPlaying: (playing) => setPhase((p) => (playing ? 'playing' : p === 'done' ? 'done' : 'paused')),
        });
        player.setSpeed(speedRef.current);
        playerRef.current = player;
        restartRef.current = () => {
          player.rewind();
          term.reset();
          term.resize(cast.width, cast.height);
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
      playerRef.current?.dispose();
      playerRef.current = null;
      term.dispose();
    };
  }, [runId]);

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
          disabled={phase === 'loading' || phase === 'failed'}
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
      {error && (
        <div className="form-error" role="alert">
          Could not load the transcript: {error}
        </div>
      )}
      {phase === 'loading' && <p className="muted small">Loading transcript…</p>}
      <div className="run-terminal-screen run-terminal-fixed" ref={screenRef} />
    </div>
  );
}
