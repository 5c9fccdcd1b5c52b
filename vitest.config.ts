import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // End-to-end tests start the built simulator; the global setup compiles it first.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: more parallel files only queue behind each other's simulators.
    maxWorkers: 2,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
