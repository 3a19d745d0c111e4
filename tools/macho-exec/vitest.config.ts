import { defineConfig } from "vitest/config";

// Used when running `vitest run` inside tools/macho-exec; the repo root config covers the monorepo run.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
  },
});
