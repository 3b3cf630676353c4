import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'cri-streaming', include: ['src/**/*.test.ts'] },
});
