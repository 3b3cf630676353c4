import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'net-cni', include: ['src/**/*.test.ts'] },
});
