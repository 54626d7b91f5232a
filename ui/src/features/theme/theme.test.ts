import { describe, expect, it } from 'vitest';
import { THEME_KEY, loadPreference, nextPreference, resolveTheme, savePreference } from './theme';

function memoryStorage(initial: Record<string, string> = {}) {
  const data = new Map(Object.entries(initial));
  return { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v), data };
}

describe('theme preference', () => {
  it('System follows the system; Light and Dark are fixed', () => {
    expect(resolveTheme('system', true)).toBe('dark');
    expect(resolveTheme('system', false)).toBe('light');
    expect(resolveTheme('light', true)).toBe('light');
    expect(resolveTheme('dark', false)).toBe('dark');
  });

  it('cycles System → Light → Dark → System', () => {
    expect(nextPreference('system')).toBe('light');
    expect(nextPreference('light')).toBe('dark');
    expect(nextPreference('dark')).toBe('system');
  });

  it('is saved and read back; anything unknown is System', () => {
    const storage = memoryStorage();
    expect(loadPreference(storage)).toBe('system');
    savePreference('light', storage);
    expect(storage.data.get(THEME_KEY)).toBe('light');
    expect(loadPreference(storage)).toBe('light');
    expect(loadPreference(memoryStorage({ [THEME_KEY]: 'purple' }))).toBe('system');
    expect(loadPreference(null)).toBe('system');
    const broken = { getItem: () => { throw new Error('denied'); }, setItem: () => { throw new Error('denied'); } };
    expect(loadPreference(broken)).toBe('system');
    expect(() => savePreference('dark', broken)).not.toThrow();
  });
});
