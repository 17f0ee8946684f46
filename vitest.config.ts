import { defineConfig } from 'vitest/config';

// One runner for everything. Integration tests start real mlx_lm.server / sshd processes, so
// they get long timeouts and at most two files at once (the reference machine has 2 cores).
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'testbed/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    maxWorkers: 2,
    setupFiles: ['./vitest.setup.ts'],
    globalSetup: ['./vitest.global-setup.ts'],
  },
});
