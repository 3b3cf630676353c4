import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'criod', include: ['src/**/*.test.ts'] },
});
