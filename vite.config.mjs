// Builds the web client (web/) into dist/web, served by the local API at `/` (see src/api/web.ts).
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

export default defineConfig({
  root: fileURLToPath(new URL('./web/', import.meta.url)),
  base: '/',
  // Preact's automatic JSX runtime through Vite's own transformer: no plugin needed
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('./dist/web/', import.meta.url)),
    emptyOutDir: true,
    // the CSP allows no inline script: no polyfill snippet, every script a file
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: true
  },
  logLevel: 'warn'
})
