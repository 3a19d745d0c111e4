// Public entry of @tsld/bench: the synthetic workload generator and the
// measuring helpers (the CLI is src/main.ts, run by `pnpm bench`).
export { synthSource, synthWorkload, GENERATOR_VERSION } from "./synth.js";
export type { SynthSpec, SynthWorkload } from "./synth.js";
export { runOnce, parseStages, median, haveGnuTime } from "./measure.js";
export type { RunSample } from "./measure.js";
export { benchCacheDir, resultsDir } from "./paths.js";
