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
    reportCompressedSize: true,
    sourcemap: true,
  },
  server: {
    port: 5173,
    proxy: {
      '/api': backend,
      '/socket.io': { target: backend, ws: true },
    },
  },
});
