#!/usr/bin/env node
// Entry point for the `tsld` and `ld64.tsld` commands: runs the built CLI.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dist = new URL("../dist/index.js", import.meta.url);
if (!existsSync(fileURLToPath(dist))) {
  process.stderr.write("tsld: the CLI is not built yet; run `pnpm build` in the repository first\n");
  process.exit(2);
}
const { main } = await import(dist.href);
process.exitCode = await main(process.argv.slice(2));
