import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// `npm run dev` proxies the API to a running viban-server (default port 7777).
// The server checks Host and the WebSocket Origin, so both are rewritten to the target's own.
const target = `http://127.0.0.1:${process.env.VIBAN_API_PORT || '7777'}`;

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/api': {
        target,
        ws: true,
        changeOrigin: true,
        configure: (proxy) => {
          proxy.on('proxyReq', (req) => {
            if (req.getHeader('origin')) req.setHeader('origin', target);
          });
          proxy.on('proxyReqWs', (req) => {
            req.setHeader('origin', target);
          });
        },
      },
      '/auth': { target, changeOrigin: true },
    },
  },
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
