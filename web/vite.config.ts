import react from '@vitejs/plugin-react'
import { defineConfig } from 'vitest/config'
import { firstLoadChunks } from './scripts/first-load-chunks'

// `npm run dev`: the API runs on its own port (TASKYARD_PORT, default 8700); Vite proxies /api to it,
// so the browser sees one origin and the session cookie's same-origin rule holds.
const apiPort = process.env.TASKYARD_PORT ?? '8700'

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    proxy: { '/api': { target: `http://127.0.0.1:${apiPort}`, changeOrigin: false } },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rolldownOptions: {
      output: {
        // Shared by two pages or more: one chunk (first-load-chunks.ts says what stays out, and why).
        codeSplitting: { groups: [{ name: firstLoadChunks(import.meta.dirname), minShareCount: 2 }] },
      },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test-setup.ts'],
    // The machine is shared: a component test under load can take longer than the 5 s default.
    testTimeout: 20_000,
  },
})
