import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// `npm run dev` proxies the API to a running viban-server (default port 7777).
// The server accepts only its own names in `Host`, so the proxy sends the target's (`changeOrigin`, which touches
// `Host` only). `Origin` is passed through untouched: the server's CSRF and WebSocket origin checks stay on, and
// the dev server's origin must be allowed explicitly:
//   viban-server serve --bind 127.0.0.1:7777 --allow-origin http://localhost:5173
const target = `http://127.0.0.1:${process.env.VIBAN_API_PORT || '7777'}`;

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/api': { target, ws: true, changeOrigin: true },
      // The old sign-in path; the server redirects `/auth?code=` to `/#code=` (relative, so it stays on this origin).
      '/auth': { target, changeOrigin: true },
    },
  },
  // The diff viewer's highlighting worker (@pierre/diffs) is an ES module with imports of its own.
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
  },
});
