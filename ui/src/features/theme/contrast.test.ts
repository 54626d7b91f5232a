import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AA_LARGE, AA_TEXT, blend, contrast, contrastRatio, cssTokens, parseColor } from './contrast';

describe('contrast maths', () => {
  it('parses hex and rgb() colours', () => {
    expect(parseColor('#fff')).toEqual({ r: 255, g: 255, b: 255, a: 1 });
    expect(parseColor('#00000080')?.a).toBeCloseTo(0.5, 2);
    expect(parseColor('rgb(10, 20, 30)')).toEqual({ r: 10, g: 20, b: 30, a: 1 });
    expect(parseColor('rgba(10, 20, 30, 0.25)')).toEqual({ r: 10, g: 20, b: 30, a: 0.25 });
    expect(parseColor('rgb(10 20 30 / 50%)')).toEqual({ r: 10, g: 20, b: 30, a: 0.5 });
    expect(parseColor('transparent')?.a).toBe(0);
    expect(parseColor('var(--x)')).toBeNull();
    expect(parseColor('#12345')).toBeNull();
  });

  it('matches the WCAG reference values', () => {
    expect(contrast('#000', '#fff')).toBeCloseTo(21, 5);
    expect(contrast('#fff', '#fff')).toBeCloseTo(1, 5);
    // The classic AA borderline grey on white.
    expect(contrast('#767676', '#ffffff')).toBeCloseTo(4.54, 2);
    expect(contrast('#777777', '#ffffff')).toBeLessThan(AA_TEXT);
    // Symmetric.
    expect(contrast('#3451d1', '#f5f6f8')).toBeCloseTo(contrast('#f5f6f8', '#3451d1'), 10);
  });

  it('blends translucent colours over what is beneath', () => {
    const half = blend({ r: 255, g: 255, b: 255, a: 0.5 }, { r: 0, g: 0, b: 0, a: 1 });
    expect(half.r).toBeCloseTo(127.5);
    // Translucent text is weaker than the same colour opaque.
    const solid = contrastRatio({ r: 0, g: 0, b: 0, a: 1 }, { r: 255, g: 255, b: 255, a: 1 });
    const faded = contrastRatio({ r: 0, g: 0, b: 0, a: 0.5 }, { r: 255, g: 255, b: 255, a: 1 });
    expect(faded).toBeLessThan(solid);
  });

  it('reads custom properties from a rule', () => {
    const css = `/* :root { --no: #000; } */ :root { --a: #111; --b: rgba(1, 2, 3, 0.5); } :root[data-theme='light'] { --a: #eee; }`;
    expect(cssTokens(css, ':root')).toEqual({ '--a': '#111', '--b': 'rgba(1, 2, 3, 0.5)' });
    expect(cssTokens(css, ":root[data-theme='light']")).toEqual({ '--a': '#eee' });
  });
});

// Both palettes of styles.css: the dark one on :root, the light one overriding it.
const css = readFileSync(fileURLToPath(new URL('../../styles.css', import.meta.url)), 'utf8');
const dark = cssTokens(css, ':root');
const light = { ...dark, ...cssTokens(css, ":root[data-theme='light']") };
const THEMES = { dark, light } as const;

const SURFACES = ['--bg', '--bg-raised', '--bg-column', '--bg-card', '--bg-card-hover', '--bg-input'];

/** [foreground, background, minimum, what it is]. */
const PAIRS: [string, string, number, string][] = [
  ...SURFACES.flatMap((bg): [string, string, number, string][] => [
    ['--text', bg, AA_TEXT, 'body text'],
    ['--text-muted', bg, AA_TEXT, 'secondary text (card ids, counts, hints)'],
    ['--accent', bg, AA_TEXT, 'links and accent text'],
    ['--accent-strong', bg, AA_TEXT, 'running status'],
    ['--danger', bg, AA_TEXT, 'errors, failed status'],
    ['--ok', bg, AA_TEXT, 'success status'],
    ['--warn', bg, AA_TEXT, 'stopped status'],
    ['--merged', bg, AA_TEXT, 'merged pull request'],
    ['--border-control', bg, AA_LARGE, 'input borders (UI component)'],
    ['--accent', bg, AA_LARGE, 'focus ring (UI component)'],
  ]),
  ['--on-accent', '--accent', AA_TEXT, 'primary button text'],
  ['--on-accent', '--accent-strong', AA_TEXT, 'primary button text, hovered'],
  ['--on-danger', '--danger', AA_TEXT, 'danger button text'],
  ['--warn-text', '--warn-bg', AA_TEXT, 'warning banner'],
  ['--error-text', '--error-bg', AA_TEXT, 'error banner and messages'],
  ['--warn-text', '--bg-card', AA_TEXT, 'waiting-for-input label on a card'],
  ['--error-text', '--bg-raised', AA_TEXT, 'form error in a dialog'],
];

describe.each(Object.entries(THEMES))('the %s theme', (name, tokens) => {
  it('declares every token it uses as a colour', () => {
    for (const [fg, bg] of PAIRS) {
      expect(parseColor(tokens[fg] ?? ''), `${name} ${fg}`).not.toBeNull();
      expect(parseColor(tokens[bg] ?? ''), `${name} ${bg}`).not.toBeNull();
    }
  });

  it.each(PAIRS)('%s on %s reaches %s:1 (%s)', (fg, bg, min) => {
    const ratio = contrast(tokens[fg] ?? '', tokens[bg] ?? '');
    expect(ratio, `${name}: ${fg} ${tokens[fg]} on ${bg} ${tokens[bg]} is ${ratio.toFixed(2)}:1`).toBeGreaterThanOrEqual(min);
  });
});

describe('the themes differ', () => {
  it('light is light and dark is dark', () => {
    expect(contrast(light['--bg'] ?? '', '#ffffff')).toBeLessThan(1.2);
    expect(contrast(dark['--bg'] ?? '', '#000000')).toBeLessThan(1.2);
  });
});
