import { defineProject } from 'vitest/config';

export default defineProject({
  // Real runc and conmon: a loaded machine makes container starts and stops slower than unit tests.
  test: { name: 'oci-runc', include: ['src/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 30_000 },
});
