import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Stopping OpenSearch takes a few seconds; the default 10 s could cut teardown short.
    teardownTimeout: 60_000,
    poolOptions: { forks: { minForks: 1, maxForks: 2 } },
    projects: [
      {
        // Pure logic: no servers.
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        // Real Temporal dev server and real OpenSearch node, started (or reused) by globalSetup.
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          // Temporal's native worker is happiest in its own process; two fit two cores.
          pool: 'forks',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
