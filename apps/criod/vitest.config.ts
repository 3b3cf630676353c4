import { defineProject } from 'vitest/config';

export default defineProject({
  // Many tests start criod itself as a process: on a loaded 2-core machine that takes seconds.
  test: { name: 'criod', include: ['src/**/*.test.ts'], testTimeout: 30_000 },
});
