// WCAG 2.x contrast: parse a CSS colour, blend translucent colours over what is beneath, and compute the ratio.
// Pure, so the theme tokens are checked in Vitest and the same maths runs in the browser e2e.

export type Rgba = { r: number; g: number; b: number; a: number };

/** WCAG AA minimums: body text, and large text or the parts of UI components needed to see them. */
export const AA_TEXT = 4.5;
export const AA_LARGE = 3;

/** `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`, `rgb(…)` / `rgba(…)` (comma or space separated), or null. */
export function parseColor(input: string): Rgba | null {
  const text = input.trim().toLowerCase();
  if (text === 'transparent') return { r: 0, g: 0, b: 0, a: 0 };
  const hex = /^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/.exec(text);
  if (hex) {
    let digits = hex[1] ?? '';
    if (digits.length <= 4) digits = [...digits].map((d) => d + d).join('');
    const byte = (i: number) => parseInt(digits.slice(i, i + 2), 16);
    return { r: byte(0), g: byte(2), b: byte(4), a: digits.length === 8 ? byte(6) / 255 : 1 };
  }
  const fn = /^rgba?\(([^)]*)\)$/.exec(text);
  if (!fn) return null;
  const parts = (fn[1] ?? '').split(/[\s,/]+/).filter(Boolean);
  if (parts.length < 3 || parts.length > 4) return null;
  const channel = (p: string) => (p.endsWith('%') ? (parseFloat(p) / 100) * 255 : parseFloat(p));
  const [r, g, b] = parts.slice(0, 3).map(channel) as [number, number, number];
  const alphaText = parts[3];
  const a = alphaText === undefined ? 1 : alphaText.endsWith('%') ? parseFloat(alphaText) / 100 : parseFloat(alphaText);
  if (![r, g, b, a].every(Number.isFinite)) return null;
  return { r, g, b, a: Math.min(1, Math.max(0, a)) };
}

/** `top` painted over an opaque `bottom` (source-over). The result is opaque. */
export function blend(top: Rgba, bottom: Rgba): Rgba {
  const a = top.a;
  return {
    r: top.r * a + bottom.r * (1 - a),
    g: top.g * a + bottom.g * (1 - a),
    b: top.b * a + bottom.b * (1 - a),
    a: 1,
  };
}

/** Relative luminance (WCAG 2.x, sRGB). */
export function luminance({ r, g, b }: Rgba): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** Contrast ratio (1 to 21) of `fg` over an opaque `bg`; a translucent `fg` is blended over `bg` first. */
export function contrastRatio(fg: Rgba, bg: Rgba): number {
  const solidBg = bg.a < 1 ? blend(bg, { r: 255, g: 255, b: 255, a: 1 }) : bg;
  const solidFg = fg.a < 1 ? blend(fg, solidBg) : fg;
  const l1 = luminance(solidFg);
  const l2 = luminance(solidBg);
  const [hi, lo] = l1 > l2 ? [l1, l2] : [l2, l1];
  return (hi + 0.05) / (lo + 0.05);
}

/** contrastRatio for CSS colour strings; throws on a colour it cannot read (a test should say so, not pass). */
export function contrast(fg: string, bg: string): number {
  const f = parseColor(fg);
  const b = parseColor(bg);
  if (!f) throw new Error(`not a colour: ${fg}`);
  if (!b) throw new Error(`not a colour: ${bg}`);
  return contrastRatio(f, b);
}

/**
 * The custom properties (`--name: value;`) declared in the first rule whose selector is exactly `selector`
 * (e.g. `:root`), as written. Used to check the theme tokens in styles.css.
 */
export function cssTokens(css: string, selector: string): Record<string, string> {
  const withoutComments = css.replace(/\/\*[\s\S]*?\*\//g, '');
  const escaped = selector.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const rule = new RegExp(`(?:^|[}\\s])${escaped}\\s*\\{([^}]*)\\}`).exec(withoutComments);
  const tokens: Record<string, string> = {};
  if (!rule) return tokens;
  for (const m of (rule[1] ?? '').matchAll(/(--[\w-]+)\s*:\s*([^;]+);/g)) tokens[m[1] ?? ''] = (m[2] ?? '').trim();
  return tokens;
}
