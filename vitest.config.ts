import { tsldVitestConfig } from "./vitest.shared.js";

// One vitest run over every workspace package (and tools/, and the
// repository-level checks under test/).
export default tsldVitestConfig(["{packages,apps,tools}/*/{src,test}/**/*.test.ts", "test/**/*.test.ts"]);
