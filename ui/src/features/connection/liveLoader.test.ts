import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLiveLoader } from './liveLoader';

/** A fetch whose answers the test hands out one by one. */
function controlledFetch() {
  const pending: { key: string; resolve: (v: string) => void; reject: (e: unknown) => void }[] = [];
  const fetch = vi.fn(
    (key: string) =>
      new Promise<string>((resolve, reject) => {
        pending.push({ key, resolve, reject });
      }),
  );
  const next = () => {
    const p = pending.shift();
    if (!p) throw new Error('no fetch in flight');
    return p;
  };
  return { fetch, pending, next };
}

const settle = () => new Promise<void>((r) => setTimeout(r, 0));

function setup(initialKey: string | null = 'a') {
  let key = initialKey;
  const { fetch, pending, next } = controlledFetch();
  const onAnswer = vi.fn();
  const onFailure = vi.fn();
  const loader = createLiveLoader<string, string>({ key: () => key, fetch, onAnswer, onFailure, debounceMs: 50 });
  return { loader, fetch, pending, next, onAnswer, onFailure, setKey: (k: string | null) => (key = k) };
}

describe('createLiveLoader', () => {
  it('runs one load at a time; requests meanwhile collapse into one more', async () => {
    const { loader, fetch, next, onAnswer } = setup();
    const first = loader.reloadNow();
    void loader.reloadNow();
    void loader.reloadNow();
    void loader.reloadNow();
    expect(fetch).toHaveBeenCalledTimes(1);

    next().resolve('one');
    await settle();
    expect(onAnswer).toHaveBeenLastCalledWith('one', 'a');
    expect(fetch).toHaveBeenCalledTimes(2);

    next().resolve('two');
    await first;
    expect(onAnswer).toHaveBeenLastCalledWith('two', 'a');
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('drops an answer for a key that changed meanwhile and loads the new key', async () => {
    const { loader, fetch, next, onAnswer, setKey } = setup();
    const done = loader.reloadNow();
    setKey('b');
    void loader.reloadNow();
    next().resolve('for a');
    await settle();
    expect(onAnswer).not.toHaveBeenCalled();
    expect(fetch).toHaveBeenLastCalledWith('b');
    next().resolve('for b');
    await done;
    expect(onAnswer).toHaveBeenCalledTimes(1);
    expect(onAnswer).toHaveBeenCalledWith('for b', 'b');
  });

  it('reports failures for the current key only, and the next load still runs', async () => {
    const { loader, next, onAnswer, onFailure, setKey } = setup();
    let done = loader.reloadNow();
    next().reject(new Error('down'));
    await done;
    expect(onFailure).toHaveBeenCalledWith(new Error('down'), 'a');

    done = loader.reloadNow();
    setKey('b');
    next().reject(new Error('old'));
    await done;
    expect(onFailure).toHaveBeenCalledTimes(1);

    done = loader.reloadNow();
    next().resolve('back');
    await done;
    expect(onAnswer).toHaveBeenCalledWith('back', 'b');
  });

  it('loads nothing without a key', async () => {
    const { loader, fetch } = setup(null);
    await loader.reloadNow();
    expect(fetch).not.toHaveBeenCalled();
  });

  describe('scheduleReload', () => {
    beforeEach(() => vi.useFakeTimers());
    afterEach(() => vi.useRealTimers());

    it('debounces a burst into one load, and cancel drops it', () => {
      const { loader, fetch } = setup();
      for (let i = 0; i < 10; i++) {
        loader.scheduleReload();
        vi.advanceTimersByTime(20);
      }
      expect(fetch).not.toHaveBeenCalled();
      vi.advanceTimersByTime(50);
      expect(fetch).toHaveBeenCalledTimes(1);

      loader.scheduleReload();
      loader.cancel();
      vi.advanceTimersByTime(100);
      expect(fetch).toHaveBeenCalledTimes(1);
    });
  });
});
