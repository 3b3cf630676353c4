import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'oci-runc', include: ['src/**/*.test.ts'] },
});
