import { defineConfig } from "vitest/config";

/**
 * The vitest settings every package shares. Sources resolve through the
 * "@tsld/source" export condition, so tests need no prior build. The root
 * vitest.config.ts runs every package's tests once; each package's own
 * vitest.config.ts (`pnpm test` there, or `pnpm --filter @tsld/X test`)
 * runs its own with the same settings.
 */
export function tsldVitestConfig(include: string[]) {
  return defineConfig({
    resolve: { conditions: ["@tsld/source"] },
    ssr: { resolve: { conditions: ["@tsld/source"] } },
    test: {
      include,
      testTimeout: 120_000,
      hookTimeout: 300_000,
      pool: "forks",
    },
  });
}
