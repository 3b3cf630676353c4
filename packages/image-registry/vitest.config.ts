import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'image-registry', include: ['src/**/*.test.ts'] },
});
