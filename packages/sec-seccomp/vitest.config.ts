import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'sec-seccomp', include: ['src/**/*.test.ts'] },
});
