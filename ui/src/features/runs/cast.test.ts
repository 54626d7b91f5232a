import { describe, expect, it } from 'vitest';
import { CastFormatError, CastPlayer, limitIdle, parseCast, type CastEvent } from './cast';
import { formatCastTime } from '../../lib/format';

const cast = (header: object, ...events: unknown[]) =>
  [JSON.stringify(header), ...events.map((e) => JSON.stringify(e))].join('\n') + '\n';

describe('parseCast', () => {
  it('reads the header size and output events', () => {
    const parsed = parseCast(cast({ version: 2, width: 100, height: 30 }, [0.5, 'o', 'hello '], [1.25, 'o', 'world']));
    expect(parsed.width).toBe(100);
    expect(parsed.height).toBe(30);
    expect(parsed.events).toEqual([
      { time: 0.5, kind: 'output', data: 'hello ' },
      { time: 1.25, kind: 'output', data: 'world' },
    ]);
  });

  it('keeps resize events, skips input, markers and malformed lines', () => {
    const text = [
      JSON.stringify({ version: 2, width: 80, height: 24 }),
      JSON.stringify([0.1, 'i', 'typed']),
      'not json',
      JSON.stringify([0.2, 'm', 'marker']),
      JSON.stringify([0.3, 'r', '120x40']),
      JSON.stringify([0.4, 'r', 'wide']),
      JSON.stringify(['x', 'o', 'bad time']),
      JSON.stringify([0.5, 'o', 'ok']),
      '',
    ].join('\n');
    expect(parseCast(text).events).toEqual([
      { time: 0.3, kind: 'resize', cols: 120, rows: 40 },
      { time: 0.5, kind: 'output', data: 'ok' },
    ]);
  });

  it('defaults a missing size and rejects a missing or foreign header', () => {
    expect(parseCast('{"version":2}\n').width).toBe(80);
    expect(() => parseCast('')).toThrow(CastFormatError);
    expect(() => parseCast('[0, "o", "x"]')).toThrow(CastFormatError);
    expect(() => parseCast('{"version":1,"width":80,"height":24}')).toThrow(/version 1/);
  });

  it('caps idle gaps at the header idle_time_limit, else at the default', () => {
    const withLimit = parseCast(cast({ version: 2, width: 80, height: 24, idle_time_limit: 1 }, [0, 'o', 'a'], [60, 'o', 'b']));
    expect(withLimit.events.map((e) => e.time)).toEqual([0, 1]);
    const withDefault = parseCast(cast({ version: 2, width: 80, height: 24 }, [0, 'o', 'a'], [60, 'o', 'b'], [60.5, 'o', 'c']));
    expect(withDefault.events.map((e) => e.time)).toEqual([0, 2, 2.5]);
  });
});

describe('limitIdle', () => {
  it('never lets time go backwards', () => {
    const out = (time: number): CastEvent => ({ time, kind: 'output', data: '' });
    expect(limitIdle([out(1), out(0.5), out(1.5)], 10).map((e) => e.time)).toEqual([1, 1, 1.5]);
  });
});

function harness(events: CastEvent[]) {
  let clock = 0;
  let timer: { fn: () => void; due: number } | null = null;
  const written: string[] = [];
  let ended = 0;
  const player = new CastPlayer(events, {
    onEvents: (batch) => written.push(batch.map((e) => (e.kind === 'output' ? e.data : `[${e.cols}x${e.rows}]`)).join('')),
    onEnd: () => (ended += 1),
    onReset: () => written.push('<reset>'),
    now: () => clock,
    setTimer: (fn, ms) => {
      timer = { fn, due: clock + ms };
      return timer;
    },
    clearTimer: (h) => {
      if (h === timer) timer = null;
    },
  });
  /** Advances the fake clock by `ms`, firing timers that fall due on the way. */
  const advance = (ms: number) => {
    const target = clock + ms;
    while (timer && timer.due <= target) {
      const t: { fn: () => void; due: number } = timer;
      clock = t.due;
      timer = null;
      t.fn();
    }
    clock = target;
  };
  return { player, written, advance, ended: () => ended, pending: () => timer !== null };
}

const o = (time: number, data: string): CastEvent => ({ time, kind: 'output', data });

describe('CastPlayer', () => {
  it('plays events at their times at 1x', () => {
    const h = harness([o(0, 'a'), o(1, 'b'), o(1, 'c'), o(2.5, 'd')]);
    h.player.play();
    h.advance(0);
    expect(h.written).toEqual(['a']);
    h.advance(999);
    expect(h.written).toEqual(['a']);
    h.advance(1);
    expect(h.written).toEqual(['a', 'bc']);
    h.advance(1500);
    expect(h.written).toEqual(['a', 'bc', 'd']);
    expect(h.ended()).toBe(1);
    expect(h.player.playing).toBe(false);
    expect(h.player.finished).toBe(true);
  });

  it('plays faster at 2x and 8x', () => {
    const h = harness([o(0, 'a'), o(8, 'b'), o(16, 'c')]);
    h.player.setSpeed(2);
    h.player.play();
    h.advance(4000);
    expect(h.written).toEqual(['a', 'b']);
    h.player.setSpeed(8);
    h.advance(999);
    expect(h.written).toEqual(['a', 'b']);
    h.advance(1);
    expect(h.written).toEqual(['a', 'b', 'c']);
  });

  it('writes everything at once when instant', () => {
    const h = harness([o(0, 'a'), o(5, 'b'), o(50, 'c')]);
    h.player.setSpeed('instant');
    h.player.play();
    expect(h.written).toEqual(['abc']);
    expect(h.ended()).toBe(1);
    expect(h.pending()).toBe(false);
  });

  it('pauses mid-gap and resumes where it stopped', () => {
    const h = harness([o(0, 'a'), o(2, 'b')]);
    h.player.play();
    h.advance(1500);
    h.player.pause();
    expect(h.player.playing).toBe(false);
    expect(h.player.elapsed).toBeCloseTo(1.5);
    h.advance(60_000);
    expect(h.written).toEqual(['a']);
    h.player.play();
    h.advance(499);
    expect(h.written).toEqual(['a']);
    h.advance(1);
    expect(h.written).toEqual(['a', 'b']);
  });

  it('seeks forwards at once and backwards from a cleared screen', () => {
    const h = harness([o(0, 'a'), o(1, 'b'), o(2, 'c'), o(3, 'd')]);
    h.player.seek(2);
    expect(h.written).toEqual(['abc']);
    expect(h.player.currentTime).toBe(2);
    expect(h.player.playing).toBe(false);
    h.player.seek(0.5);
    expect(h.written).toEqual(['abc', '<reset>', 'a']);
    expect(h.player.currentTime).toBe(0.5);
    // Playing continues from the new place.
    h.player.play();
    h.advance(499);
    expect(h.written.at(-1)).toBe('a');
    h.advance(1);
    expect(h.written.at(-1)).toBe('b');
    expect(h.player.playing).toBe(true);
    h.player.seek(2.5);
    expect(h.written.at(-1)).toBe('c');
    expect(h.player.playing).toBe(true);
    h.advance(500);
    expect(h.written.at(-1)).toBe('d');
    expect(h.ended()).toBe(1);
  });

  it('seeking to the end ends it; seeking is clamped; the time moves while playing', () => {
    const h = harness([o(0, 'a'), o(4, 'b')]);
    h.player.play();
    h.advance(1000);
    expect(h.player.currentTime).toBeCloseTo(1);
    h.advance(1000);
    expect(h.player.currentTime).toBeCloseTo(2);
    h.player.seek(99);
    expect(h.player.finished).toBe(true);
    expect(h.ended()).toBe(1);
    expect(h.player.currentTime).toBe(4);
    expect(h.pending()).toBe(false);
    h.player.seek(-5);
    expect(h.written.slice(-2)).toEqual(['<reset>', 'a']);
    expect(h.player.currentTime).toBe(0);
    expect(h.player.finished).toBe(false);
  });

  it('switching speed while paused keeps it paused; rewind starts over', () => {
    const h = harness([o(0, 'a'), o(1, 'b')]);
    h.player.play();
    h.advance(0);
    h.player.pause();
    h.player.setSpeed(2);
    expect(h.player.playing).toBe(false);
    expect(h.pending()).toBe(false);
    h.player.rewind();
    h.player.setSpeed('instant');
    h.player.play();
    expect(h.written).toEqual(['a', 'ab']);
  });
});

describe('formatCastTime', () => {
  it('reads as a clock', () => {
    expect(formatCastTime(0)).toBe('0:00');
    expect(formatCastTime(7.9)).toBe('0:07');
    expect(formatCastTime(750)).toBe('12:30');
    expect(formatCastTime(3723)).toBe('1:02:03');
    expect(formatCastTime(-1)).toBe('0:00');
    expect(formatCastTime(Number.NaN)).toBe('0:00');
  });
});
