import { defineConfig } from 'vitest/config';

// Each workspace package is its own vitest project; `vitest run` at the root runs them all.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'test-e2e'],
  },
});
