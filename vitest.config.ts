import { defineConfig } from "vitest/config";

// One vitest run over every workspace package; sources resolve through the
// "@tsld/source" export condition, so tests need no prior build.
export default defineConfig({
  resolve: { conditions: ["@tsld/source"] },
  ssr: { resolve: { conditions: ["@tsld/source"] } },
  test: {
    include: ["{packages,apps,tools}/*/{src,test}/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
  },
});
