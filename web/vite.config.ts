import { gzipSync } from 'node:zlib';

import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';

// Resolved from this file rather than the working directory, because the build runs from the
// repository root (`vite build --config web/vite.config.ts`).
const webRoot = decodeURIComponent(new URL('.', import.meta.url).pathname);

/** The local server (`npm start`) answers both the API and the runtime configuration. */
const localServer = 'http://127.0.0.1:3000';

/** The JavaScript a first visit downloads before the chat page works, gzipped (issue: "under 250 KB"). */
export const FIRST_LOAD_BUDGET_KB = 250;

/**
 * Reports what the first load costs: the entry chunk and every chunk it imports statically (what
 * index.html makes the browser fetch before anything shows), gzipped; then the chunks loaded later
 * (Markdown, the console). The build fails over the budget, so a growing bundle is seen at once.
 */
function firstLoadReport(): Plugin {
  return {
    name: 'parley-first-load-report',
    apply: 'build',
    generateBundle(_options, bundle) {
      const gzipped = new Map<string, number>();
      for (const output of Object.values(bundle)) {
        if (output.type === 'chunk') gzipped.set(output.fileName, gzipSync(output.code).length);
      }
      const firstLoad = new Set<string>();
      const visit = (fileName: string) => {
        const output = bundle[fileName];
        if (firstLoad.has(fileName) || output?.type !== 'chunk') return;
        firstLoad.add(fileName);
        output.imports.forEach(visit);
      };
      for (const output of Object.values(bundle)) {
        if (output.type === 'chunk' && output.isEntry) visit(output.fileName);
      }
      const kb = (bytes: number) => (bytes / 1024).toFixed(1);
      const total = [...firstLoad].reduce((sum, fileName) => sum + (gzipped.get(fileName) ?? 0), 0);
      const later = [...gzipped].filter(([fileName]) => !firstLoad.has(fileName));
      console.log(
        `\nFirst load of the app: ${kb(total)} KB of JavaScript gzipped (${firstLoad.size} file(s); budget ${FIRST_LOAD_BUDGET_KB} KB)`,
      );
      for (const [fileName, bytes] of later)
        console.log(`  loaded when needed: ${fileName} ${kb(bytes)} KB gzipped`);
      if (total > FIRST_LOAD_BUDGET_KB * 1024) {
        this.error(`The first load is ${kb(total)} KB gzipped, over the ${FIRST_LOAD_BUDGET_KB} KB budget.`);
      }
    },
  };
}

/**
 * Fails the build when anything the web app bundles imports a Node built-in (`node:crypto`…).
 * Vite would replace it with an empty stand-in and only warn, leaving code that breaks in the
 * browser the day it runs; the web app shares domain modules with the functions, so this is the
 * line between them.
 */
export function noNodeBuiltins(): Plugin {
  return {
    name: 'parley-no-node-builtins',
    enforce: 'pre',
    resolveId(source, importer) {
      if (source.startsWith('node:'))
        this.error(`${importer ?? 'the web app'} imports ${source}, which does not exist in the browser.`);
      return null;
    },
  };
}

export default defineConfig({
  root: webRoot,
  plugins: [noNodeBuiltins(), react(), firstLoadReport()],
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
