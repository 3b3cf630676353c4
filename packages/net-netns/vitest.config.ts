import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'net-netns', include: ['src/**/*.test.ts'] },
});
