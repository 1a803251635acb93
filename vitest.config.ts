import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real servers, namespaces and child processes, and spend much of
    // their time waiting on them (timers, sockets, a child's start): three files at a time keep a
    // 2-core CI machine busy without starving it (whole suite, quiet machine: 2 workers 295 s,
    // 3 workers 246 s; green 3 runs in a row beside a CPU hog at 3). More than that, the
    // CPU-bound live and probe files start to contend.
    fileParallelism: true,
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.vitest-report.json' }]] : ['default'],
  },
});
