import { defineConfig } from "tsup";

// Dual package: dist/index.js (ESM) + index.d.ts, dist/index.cjs (CommonJS) + index.d.cts.
// Other @tsld/* packages stay external (dependencies), resolved from their own dist/.
export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  target: "node20",
  platform: "node",
});
