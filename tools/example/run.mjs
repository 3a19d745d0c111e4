#!/usr/bin/env node
// `pnpm example`: tsld's main job on the bundled example. Links
// examples/hello/*.o with the tsld command (built-in libSystem, no SDK),
// shows what it produced (header, segments, load commands, stage times),
// then runs it under the macho-exec loader.
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const tsld = join(root, "node_modules/.bin/tsld");
const out = join(root, "examples/hello/hello");
const objs = ["main.o", "greet.o"].map((f) => join(root, "examples/hello", f));

console.log(`$ tsld -v -o examples/hello/hello ${objs.map((o) => o.slice(root.length + 1)).join(" ")}`);
const r = spawnSync(tsld, ["-v", "-o", out, ...objs], { encoding: "utf8" });
process.stderr.write(r.stderr);
if (r.status !== 0) process.exit(r.status ?? 1);

// What it produced, read back with tsld's own format package.
const { parseMachO } = await import(join(root, "packages/macho-format/dist/index.js"));
const buf = readFileSync(out);
const m = parseMachO(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
const hex = (n) => `0x${n.toString(16)}`;
console.log(
  `\n${out.slice(root.length + 1)}: ${buf.length} bytes, Mach-O x86_64, filetype ${m.header.filetype}, flags ${hex(m.header.flags)}, ${m.header.ncmds} load commands`,
);
for (const s of m.segments) {
  console.log(
    `  segment ${s.segname.padEnd(13)} vm ${hex(s.vmaddr).padEnd(12)} size ${hex(s.vmsize).padEnd(9)} file ${hex(s.fileoff)}+${hex(s.filesize)}`,
  );
  for (const c of s.sections)
    console.log(`    ${`${c.segname},${c.sectname}`.padEnd(28)} ${hex(c.addr).padEnd(12)} ${hex(c.size)}`);
}
console.log(`  dylibs: ${m.dylibs.map((d) => d.name).join(", ")}`);
console.log(
  `  entry: ${m.entry ? hex(m.entry.entryoff) : "none"}; uuid: ${m.uuid ? Buffer.from(m.uuid).toString("hex") : "none"}`,
);

// Run it.
const loader = execFileSync("bash", [join(root, "tools/macho-exec/build.sh")], { encoding: "utf8" }).trim();
console.log(`\n$ macho-exec examples/hello/hello a b`);
const run = spawnSync(loader, [out, "a", "b"], { encoding: "utf8" });
process.stdout.write(run.stdout);
process.stderr.write(run.stderr);
console.log(`(exit status ${run.status})`);
process.exit(run.status ?? 1);
