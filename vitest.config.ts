// Test timeouts only. Passwords are hashed at scrypt N = 2^17 (most of a second each on a busy
// CI machine), so tests that seed users or sign in several times need more than vitest's 5 s;
// the limits stay finite so a hang still fails.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
