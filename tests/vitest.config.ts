import { defineConfig } from 'vitest/config';

// WORKBOOK_TIME_SCALE stretches the checks' own deadlines on a slow machine (tests/support/container.ts);
// vitest's limits must stretch with them, or a hook allowed to wait 60 s × N is cut off at 60 s.
const scale = Number(process.env.WORKBOOK_TIME_SCALE) > 0 ? Number(process.env.WORKBOOK_TIME_SCALE) : 1;

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    // Containers are real processes on a 2-core machine: one suite at a time keeps timings honest.
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 60_000 * scale,
    hookTimeout: 60_000 * scale,
  },
});
