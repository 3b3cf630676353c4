import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'sec-selinux', include: ['src/**/*.test.ts'] },
});
