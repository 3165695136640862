import { defineConfig } from 'vitest/config';

// Two lanes: `unit` runs the pure core and the in-process adapters; `integration`
// runs against real Kafka, Redis, Neo4j and PostgreSQL started by `.ci/run`.
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
    ],
  },
});
