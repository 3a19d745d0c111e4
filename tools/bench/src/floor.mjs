// The I/O floor of a link: read every input file, then write an output of a
// given size (and make it executable, as a linker does). Spawned by the bench
// as `node floor.mjs OUT SIZE INPUT...`; a fresh Node process, like tsld.
import { chmodSync, readFileSync, renameSync, writeFileSync } from "node:fs";

const [out, size, ...inputs] = process.argv.slice(2);
let sum = 0;
for (const f of inputs) sum += readFileSync(f).length;
const buf = Buffer.alloc(Number(size));
// Touch the input byte count so the reads cannot be optimised away.
buf.writeUInt32LE(sum >>> 0, 0);
const tmp = `${out}.tmp`;
writeFileSync(tmp, buf);
chmodSync(tmp, 0o755);
renameSync(tmp, out);
