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
          // The fast fault tests (test/chaos, not *.slow.test.ts) run here, in `npm test`.
          include: ['test/integration/**/*.test.ts', 'test/chaos/**/*.test.ts'],
          exclude: ['**/node_modules/**', 'test/chaos/**/*.slow.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          // Temporal's native worker is happiest in its own process; two fit two cores.
          pool: 'forks',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      // Every fault test, slow ones included: `npm run chaos` (INTERLOCK_CHAOS=all vitest run --project chaos).
      // Worker processes are killed and restarted; one test restarts a Temporal server of its own.
      ...(process.env.INTERLOCK_CHAOS === 'all'
        ? [
            {
              test: {
                name: 'chaos',
                include: ['test/chaos/**/*.test.ts'],
                globalSetup: ['test/support/global-setup.ts'],
                pool: 'forks' as const,
                testTimeout: 120_000,
                hookTimeout: 180_000,
              },
            },
          ]
        : []),
    ],
  },
});
