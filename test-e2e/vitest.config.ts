import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'test-e2e',
    include: ['src/**/*.test.ts'],
    // Real daemons, namespaces and bridges: one file at a time keeps the machine's state readable.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
