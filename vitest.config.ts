// Two collections: `unit` needs no service; `integration` runs against the real engines started by
// test/helpers/global-setup.ts. Each integration file runs in its own process because libchdb binds
// one data directory per process.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // One test file at a time: the integration files start whole pipelines (brokers, emulators, three
    // processors, a browser), and two of them side by side on two cores starve each other's timing.
    maxWorkers: 1,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          pool: 'forks',
          isolate: true,
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
