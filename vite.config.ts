import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The renderer: a React app built into dist/renderer and served by the backend.
export default defineConfig({
  root: 'renderer',
  base: '/',
  plugins: [react()],
  build: { outDir: '../dist/renderer', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 2000 },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': { target: 'http://127.0.0.1:8470', ws: true },
      '/login': 'http://127.0.0.1:8470',
      '/healthz': 'http://127.0.0.1:8470',
    },
  },
});
