import { describe, expect, it } from 'vitest';
import { OutputPacer, PACE_MS } from './outputPacer';

function setup() {
  const writes: string[] = [];
  const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const pacer = new OutputPacer({
    write: (b) => writes.push(new TextDecoder().decode(b)),
    setTimer: (fn, ms) => {
      const t = { fn, ms, cleared: false };
      timers.push(t);
      return t;
    },
    clearTimer: (h) => {
      (h as { cleared: boolean }).cleared = true;
    },
  });
  const fire = () => {
    const live = timers.filter((t) => !t.cleared);
    timers.length = 0;
    live.forEach((t) => t.fn());
  };
  return { pacer, writes, timers, fire };
}
const bytes = (s: string) => new TextEncoder().encode(s);

describe('OutputPacer', () => {
  it('holds output of an unfocused terminal and writes it as one batch per interval, in order', () => {
    const { pacer, writes, timers, fire } = setup();
    pacer.push(bytes('a'));
    pacer.push(bytes('bc'));
    pacer.push(bytes(''));
    expect(writes).toEqual([]);
    expect(timers.map((t) => t.ms)).toEqual([PACE_MS]);
    fire();
    expect(writes).toEqual(['abc']);
    pacer.push(bytes('d'));
    fire();
    expect(writes).toEqual(['abc', 'd']);
  });

  it('writes at once while focused, flushing what was held first', () => {
    const { pacer, writes, timers } = setup();
    pacer.push(bytes('held'));
    pacer.setImmediate(true);
    expect(writes).toEqual(['held']);
    expect(timers.every((t) => t.cleared)).toBe(true);
    pacer.push(bytes('x'));
    pacer.push(bytes('y'));
    expect(writes).toEqual(['held', 'x', 'y']);
    pacer.setImmediate(false);
    pacer.push(bytes('z'));
    expect(writes).toEqual(['held', 'x', 'y']);
  });

  it('flushes on demand and discards before a redraw', () => {
    const { pacer, writes, fire } = setup();
    pacer.push(bytes('1'));
    pacer.flush();
    expect(writes).toEqual(['1']);
    pacer.push(bytes('2'));
    pacer.discard();
    fire();
    pacer.flush();
    expect(writes).toEqual(['1']);
  });
});
