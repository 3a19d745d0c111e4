import { tsldVitestConfig } from "../../vitest.shared.js";

// This package's own tests (`pnpm test` here, or `pnpm --filter <name> test` at the root).
export default tsldVitestConfig(["{src,test}/**/*.test.ts"]);
