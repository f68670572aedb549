import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A generous cap: e2e tests run CLI processes in sequence, and three files run at once on 2 cores.
    testTimeout: 90_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most of a test's time is spent waiting: on the databases and on the CLI processes it spawns.
    // Vitest's default (one worker per core but one) would run the files one at a time on 2 cores.
    maxWorkers: 3,
  },
});
