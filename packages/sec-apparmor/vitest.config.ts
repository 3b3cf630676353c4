import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'sec-apparmor', include: ['src/**/*.test.ts'] },
});
