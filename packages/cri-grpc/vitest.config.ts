import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'cri-grpc', include: ['src/**/*.test.ts'] },
});
