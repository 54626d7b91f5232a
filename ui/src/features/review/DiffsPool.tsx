// Syntax highlighting for the diff viewer runs in a pool of 2 Web Workers (these machines have 2 cores), never on
// the main thread. The worker is @pierre/diffs' own, bundled by Vite as a separate module file served from 'self'
// (the server's CSP allows `worker-src 'self' blob:`), and highlights with Shiki's JavaScript regex engine: no
// WebAssembly, no eval.
import type { ReactNode } from 'react';
import { WorkerPoolContextProvider } from '@pierre/diffs/react';
import DiffsWorker from '@pierre/diffs/worker/worker.js?worker';

export const DIFF_THEME = { dark: 'pierre-dark', light: 'pierre-light' } as const;

const poolOptions = { workerFactory: () => new DiffsWorker(), poolSize: 2 };
const highlighterOptions = { theme: DIFF_THEME, lineDiffType: 'word' as const, preferredHighlighter: 'shiki-js' as const };

export function DiffsPool({ children }: { children: ReactNode }) {
  return (
    <WorkerPoolContextProvider poolOptions={poolOptions} highlighterOptions={highlighterOptions}>
      {children}
    </WorkerPoolContextProvider>
  );
}
