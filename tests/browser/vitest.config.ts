import { defineConfig } from 'vitest/config';

// The real-browser lane: playwright-core driving Debian's Chromium against a running console.
// Run: npx vitest run --config tests/browser/vitest.config.ts
export default defineConfig({
  test: {
    name: 'browser',
    root: new URL('../..', import.meta.url).pathname,
    include: ['tests/browser/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
