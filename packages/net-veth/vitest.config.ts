import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'net-veth', include: ['src/**/*.test.ts'] },
});
