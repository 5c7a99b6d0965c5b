import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The back office app. Built into web/dist (not committed), served by HQ at `/` and later by
 * a site hub: relative asset paths and hash routes, so it works under any server and path.
 */
export default defineConfig({
  root,
  base: './',
  plugins: [vue()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    reportCompressedSize: false,
    // The handheld validator is a page of its own: small, installable, no back-office bundle.
    rollupOptions: { input: { main: `${root}index.html`, handheld: `${root}handheld.html` } },
  },
  server: {
    // `npm run dev:web`: the API of an HQ started with `npm start` / `npm run cloud`.
    proxy: { '/api': process.env.HQ_URL ?? 'http://127.0.0.1:8780' },
    fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] },
  },
});
