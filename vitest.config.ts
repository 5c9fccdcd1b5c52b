import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // End-to-end tests start the built simulator; the global setup compiles it first.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: ['test/timing/**'],
          // Two cores: more parallel files only queue behind each other's simulators.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        // Tests of timing accuracy run last and alone: with the rest of the suite's simulators on
        // the same two cores they would measure the machine, not the simulator.
        extends: true,
        test: {
          name: 'timing',
          include: ['test/timing/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
