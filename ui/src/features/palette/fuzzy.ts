// Fuzzy matching for the command palette (pure). The query is split on spaces; every word must match the text,
// as a substring (best) or as a subsequence of its letters. Matches at word starts and runs of consecutive letters
// score higher; the matched positions come back for highlighting.

export type FuzzyMatch = { score: number; indices: number[] };

const isBoundary = (text: string, i: number) => i === 0 || /[\s\-_/.:#(“"'[]/.test(text[i - 1] ?? '');

function matchWord(word: string, lower: string): FuzzyMatch | null {
  // A substring: the occurrence at a word start if there is one, else the first.
  let first = lower.indexOf(word);
  if (first >= 0) {
    let at = first;
    for (let i = first; i >= 0; i = lower.indexOf(word, i + 1)) {
      if (isBoundary(lower, i)) {
        at = i;
        break;
      }
    }
    first = at;
    const score = 100 + word.length * 10 + (isBoundary(lower, first) ? 40 : 0) + (first === 0 ? 20 : 0) - Math.min(first, 50) * 0.2;
    return { score, indices: Array.from({ length: word.length }, (_, k) => first + k) };
  }
  // A subsequence, greedily preferring the next word start within reach.
  const indices: number[] = [];
  let score = 0;
  let last = -1;
  for (const ch of word) {
    let j = lower.indexOf(ch, last + 1);
    if (j < 0) return null;
    if (!isBoundary(lower, j) && j !== last + 1) {
      for (let k = j + 1; k >= 0 && k < lower.length; k = lower.indexOf(ch, k + 1)) {
        if (isBoundary(lower, k)) {
          j = k;
          break;
        }
      }
    }
    score += (j === last + 1 ? 8 : 1) + (isBoundary(lower, j) ? 6 : 0) - Math.min(j - last - 1, 6) * 0.5;
    indices.push(j);
    last = j;
  }
  return { score, indices };
}

/** Null when some word of the query does not match `text`; an empty query matches everything with score 0. */
export function fuzzyMatch(query: string, text: string): FuzzyMatch | null {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const lower = text.toLowerCase();
  let score = 0;
  const indices = new Set<number>();
  for (const word of words) {
    const m = matchWord(word, lower);
    if (!m) return null;
    score += m.score;
    for (const i of m.indices) indices.add(i);
  }
  return { score, indices: [...indices].sort((a, b) => a - b) };
}

export type Ranked<T> = { item: T; score: number; indices: number[] };

/**
 * The items matching `query`, best first (ties keep the given order), at most `limit`. `text` is what is matched;
 * `extra` (ids, keywords) also counts but is never highlighted, so highlight indices always fall in `text`.
 */
export function rank<T>(
  items: readonly T[],
  query: string,
  text: (item: T) => string,
  extra: (item: T) => string = () => '',
  limit = Infinity,
): Ranked<T>[] {
  const out: (Ranked<T> & { order: number })[] = [];
  items.forEach((item, order) => {
    const shown = text(item);
    const more = extra(item);
    const m = fuzzyMatch(query, more ? `${shown} ${more}` : shown);
    if (m) out.push({ item, score: m.score, indices: m.indices.filter((i) => i < shown.length), order });
  });
  out.sort((a, b) => b.score - a.score || a.order - b.order);
  return out.slice(0, limit).map(({ item, score, indices }) => ({ item, score, indices }));
}
