/**
 * Builds the dashboard (scripts/build.mjs runs it into dist/web). Vite 8 compiles TSX with its built-in
 * oxc transform; there is no React plugin (no fast refresh needed, and its peers conflict). Hashed file
 * names under /assets let the server cache them for a year (src/api/dashboard.routes.ts).
 */
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  // Outside web/: a cache there would make every build look stale to scripts/build.mjs.
  cacheDir: '../.vite-cache',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    // The page's CSP has no 'unsafe-inline': nothing may be inlined into index.html.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    emptyOutDir: true,
    reportCompressedSize: false,
    // The budget that matters is gzipped (npm run bench:web, 250 KB); Rollup's raw 500 KB warning is not it.
    chunkSizeWarningLimit: 1000,
    rollupOptions: {
      // React Query marks its modules "use client" for server components, which a client bundle ignores.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  // `npm run dev:web`: the API of a local `npm start` behind Vite's dev server.
  server: {
    proxy: { '/api': { target: 'http://127.0.0.1:8080', ws: true } },
  },
});
