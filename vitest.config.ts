import { defineConfig } from 'vitest/config';

// Three lanes: `unit` runs the pure core and the in-process adapters; `integration` runs
// against real Kafka, Redis, Neo4j and PostgreSQL (started by scripts/test.sh); `browser`
// drives the analyst console in Debian's Chromium against a running platform.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], testTimeout: 30_000 } },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['tests/browser/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
