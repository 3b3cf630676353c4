import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'test-e2e', include: ['src/**/*.test.ts'] },
});
