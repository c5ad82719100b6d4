import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const backend = process.env.PIXELTALES_BACKEND ?? 'http://localhost:3000';

export default defineConfig({
  root,
  base: '/',
  build: {
    outDir: resolve(root, '../dist/frontend'),
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: true,
    // Maps are written for error-reporting tools but not referenced from the bundles, and the
    // server never serves them (bootstrap.ts): the viewer's sources are not published.
    sourcemap: 'hidden',
    // Phaser alone is ~1.2 MB minified (~340 KB gzip); it gets its own chunk, loaded by the live view only.
    chunkSizeWarningLimit: 1500,
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [{ name: 'phaser', test: /node_modules[\\/]phaser[\\/]/ }],
        },
      },
    },
  },
  server: {
    port: 5173,
    proxy: {
      '/api': backend,
      '/socket.io': { target: backend, ws: true },
    },
  },
});
