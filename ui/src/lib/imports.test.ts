// No import cycles in the UI (issue 11, item 9), checked on the source itself (no dependency needed):
// - between files, what `npx madge --circular --extensions ts,tsx src` reports;
// - between feature folders (features/board, features/runs, …, and api, lib, components as wholes): a feature
//   may use another, or be used by it, not both. Shared pieces go to lib/ (formatting), api/ (one module per
//   resource) or components/.
// Static imports, re-exports, `import type` and lazy `import()` all count.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Folder pairs whose cycle is known and kept for now, with why. None: the last one (features/cockpit <->
 * features/runs, through the Tiles key's matcher) went when the matcher moved to lib/keys.ts.
 */
const KNOWN: readonly string[] = [];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(e.name) && !/\.d\.ts$/.test(e.name) ? [path] : [];
  });
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** Relative imports of `file` resolved to files of `files` (anything else — CSS, packages — is not a module here). */
function importsOf(file: string, files: ReadonlySet<string>): string[] {
  const text = readFileSync(file, 'utf8');
  const found = new Set<string>();
  for (const m of text.matchAll(IMPORT)) {
    const base = resolve(dirname(file), m[1] ?? m[2] ?? '');
    const hit = [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts'), join(base, 'index.tsx')].find((p) => files.has(p));
    if (hit) found.add(hit);
  }
  return [...found];
}

/** Strongly connected components with more than one node (or a node importing itself): the cycles. */
function cycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)?.has(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** `features/<name>` for a feature's files, else the top folder or file under src (api, lib, App.tsx, …). */
function unitOf(file: string): string {
  const parts = relative(SRC, file).split(sep);
  return parts[0] === 'features' && parts.length > 2 ? `features/${parts[1]}` : (parts[0] ?? '');
}

const files = sourceFiles(SRC);
const fileSet = new Set(files);
const fileGraph = new Map(files.map((f) => [f, new Set(importsOf(f, fileSet))]));

describe('import cycles', () => {
  it('reads the tree (sanity: the graph has the app and its features)', () => {
    expect(files.length).toBeGreaterThan(100);
    expect([...(fileGraph.get(join(SRC, 'App.tsx')) ?? [])].some((f) => f.includes(`${sep}features${sep}`))).toBe(true);
  });

  it('has none between files', () => {
    const found = cycles(fileGraph).map((c) => c.map((f) => relative(SRC, f)).join(' -> '));
    expect(found).toEqual([]);
  });

  it('has none between folders (features/<name>, api, lib, app, …; but the known ones)', () => {
    const units = new Map<string, Set<string>>();
    for (const [file, deps] of fileGraph) {
      if (/\.test\.tsx?$/.test(file)) continue;
      const from = unitOf(file);
      const edges = units.get(from) ?? new Set<string>();
      units.set(from, edges);
      for (const dep of deps) if (unitOf(dep) !== from) edges.add(unitOf(dep));
    }
    const found = cycles(units).map((c) => c.join(' <-> '));
    expect(found).toEqual([...KNOWN]);
  });

  it('finds a cycle when there is one (the check itself works)', () => {
    const g = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
      ['d', new Set(['a'])],
    ]);
    expect(cycles(g)).toEqual([['a', 'b', 'c']]);
  });
});
