import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'backend/src/**/*.test.ts',
      'main/**/*.test.ts',
      'renderer/src/**/*.test.{ts,tsx}',
      'test/**/*.test.ts',
      'e2e/**/*.test.ts',
    ],
    pool: 'forks',
    // Backends started inside a test log warnings and errors only; set VIGIL_LOG_LEVEL=info to see more.
    env: { VIGIL_LOG_LEVEL: process.env.VIGIL_LOG_LEVEL ?? 'warn' },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 20_000,
    // Video and browser tests are CPU-heavy: two files at a time on a two-core machine.
    maxWorkers: 2,
  },
});
