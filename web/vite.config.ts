import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Resolved from this file rather than the working directory, because the build runs from the
// repository root (`vite build --config web/vite.config.ts`).
const webRoot = decodeURIComponent(new URL('.', import.meta.url).pathname);

/** The local server (`npm start`) answers both the API and the runtime configuration. */
const localServer = 'http://127.0.0.1:3000';

export default defineConfig({
  root: webRoot,
  plugins: [react()],
  resolve: { alias: { '@/': `${webRoot}src/` } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No source maps in the bucket: the bundle is public, the maps would only help an attacker.
    sourcemap: false,
  },
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      '/api': localServer,
      '/config.json': localServer,
    },
  },
  preview: {
    proxy: {
      '/api': localServer,
      '/config.json': localServer,
    },
  },
});
