#!/usr/bin/env node
// The publish dry run: what `changeset publish` would put on npm, checked as
// a user would meet it. For every public package of the workspace:
//   1. `pnpm pack` (workspace: ranges rewritten, publishConfig applied; the
//      package's prepack refuses without dist/, README.md or LICENSE);
//   2. the tarball holds README.md, LICENSE, package.json and every file its
//      entry points name, and no `workspace:` range;
//   3. publint (strict) and attw (`--profile strict`: node10, node16 CJS
//      and ESM, bundler) find nothing;
//   4. into an empty npm project: `npm install --offline` of the tarball and
//      the tarballs of what its README's `npm install` line names (and their
//      dependencies), then the README's examples run unchanged there: the
//      ```js block as an ES module, the ```cjs block as CommonJS, with the
//      example objects (examples/hello) in the project directory; and
//      each command the package installs (`--help`, then a real job).
// `node tools/publish-check.mjs` runs it all (after `pnpm build`); the test
// suite runs the same through test/publish.test.ts.
import { execFileSync, spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);

/** The workspace's public packages: { name, dir, pkg }. */
export function publicPackages() {
  const out = [];
  for (const parent of ["packages", "apps"]) {
    for (const d of readdirSync(join(root, parent))) {
      const dir = join(root, parent, d);
      if (!existsSync(join(dir, "package.json"))) continue;
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      if (!pkg.private) out.push({ name: pkg.name, dir, pkg });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Runs a command to completion without blocking the event loop (a test
 * runner's worker must keep answering while packs and installs run).
 */
function sh(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", (e) => resolve({ status: 1, out: String(e), stdout }));
    child.on("close", (code) => resolve({ status: code ?? 1, out: `${stdout}${stderr}`, stdout }));
  });
}

/** Builds the packages whose dist/ is missing (turbo: dependencies first, cached). */
export async function ensureBuilt() {
  const missing = publicPackages().filter((p) => !existsSync(join(p.dir, "dist")));
  if (missing.length === 0) return;
  const r = await sh("pnpm", ["build"], { cwd: root });
  if (r.status !== 0) throw new Error(`pnpm build failed:\n${r.out}`);
}

/** `pnpm pack` of every public package into `dest`; returns Map name → tarball path. */
export async function packAll(dest) {
  mkdirSync(dest, { recursive: true });
  const out = new Map();
  for (const p of publicPackages()) {
    const r = await sh("pnpm", ["pack", "--pack-destination", dest], { cwd: p.dir });
    if (r.status !== 0) throw new Error(`pnpm pack ${p.name} failed:\n${r.out}`);
    const file = join(dest, `${p.name.replace(/^@/, "").replace("/", "-")}-${p.pkg.version}.tgz`);
    if (!existsSync(file)) throw new Error(`pnpm pack ${p.name}: no ${file}\n${r.out}`);
    out.set(p.name, file);
  }
  return out;
}

function tarList(tgz) {
  return execFileSync("tar", ["tzf", tgz], { encoding: "utf8" }).split("\n").filter(Boolean);
}

function tarFile(tgz, path) {
  return execFileSync("tar", ["xzf", tgz, "-O", path], { encoding: "utf8", maxBuffer: 64 << 20 });
}

/** Problems with the tarball's contents (files, ranges). */
export function checkContents(tgz) {
  const problems = [];
  const files = new Set(tarList(tgz));
  for (const f of ["package/README.md", "package/LICENSE", "package/package.json"])
    if (!files.has(f)) problems.push(`missing ${f.slice(8)}`);
  const pkg = JSON.parse(tarFile(tgz, "package/package.json"));
  const named = new Set();
  const walk = (v) => {
    if (typeof v === "string") {
      if (v.startsWith("./")) named.add(v.slice(2));
    } else if (v && typeof v === "object") for (const x of Object.values(v)) walk(x);
  };
  walk(pkg.exports);
  walk(pkg.main);
  walk(pkg.types);
  walk(pkg.bin);
  for (const f of named) if (!files.has(`package/${f}`)) problems.push(`entry point ${f} is not in the tarball`);
  for (const k of ["dependencies", "peerDependencies", "optionalDependencies"])
    for (const [d, r] of Object.entries(pkg[k] ?? {}))
      if (String(r).startsWith("workspace:")) problems.push(`${k}.${d} is ${r}`);
  if (JSON.stringify(pkg.exports ?? {}).includes("@tsld/source"))
    problems.push("exports keep the @tsld/source condition");
  if (files.has("package/LICENSE") && !tarFile(tgz, "package/LICENSE").includes("Copyright (c) 2026 The tsld Authors"))
    problems.push("LICENSE lacks the copyright line");
  return { problems, pkg };
}

/** publint's messages (strict: warnings count) for a tarball. */
export async function runPublint(tgz) {
  const { publint } = await import("publint");
  const { formatMessage } = await import("publint/utils");
  const buf = readFileSync(tgz);
  const tarball = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const { messages, pkg } = await publint({ pack: { tarball }, strict: true, level: "suggestion" });
  return messages.map((m) => `${m.type}: ${formatMessage(m, pkg) ?? m.code}`);
}

/** attw on a tarball; returns its report when it finds problems, "" when clean. */
export async function runAttw(tgz) {
  const bin = join(dirname(require.resolve("@arethetypeswrong/cli/package.json")), "dist/index.js");
  const r = await sh(process.execPath, [bin, tgz, "--profile", "strict", "--format", "ascii", "--no-color"]);
  return r.status === 0 ? "" : r.out;
}

/** The README's code blocks of a given fence language. */
export function readmeBlocks(readme, lang) {
  const out = [];
  const re = /^```(\w+)\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(readme); m; m = re.exec(readme)) if (m[1] === lang) out.push(m[2]);
  return out;
}

/** The package names the README's `npm install …` line installs. */
export function readmeInstall(readme) {
  for (const block of readmeBlocks(readme, "sh")) {
    const m = /^npm install (.+)$/m.exec(block);
    if (m) return m[1].split(/\s+/).filter((w) => !w.startsWith("-"));
  }
  return [];
}

/** Installs `names` (and their @tsld dependencies) from `tarballs` into a fresh npm project; returns its dir. */
export async function installProject(names, tarballs, base) {
  const dir = mkdtempSync(join(base, "project-"));
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ name: "try-tsld", private: true }, null, 2)}\n`);
  const want = new Set();
  const add = (n) => {
    if (want.has(n)) return;
    const t = tarballs.get(n);
    if (!t) throw new Error(`no tarball for ${n}`);
    want.add(n);
    const pkg = JSON.parse(tarFile(t, "package/package.json"));
    for (const d of Object.keys(pkg.dependencies ?? {})) if (d.startsWith("@tsld/")) add(d);
  };
  for (const n of names) add(n);
  const r = await sh(
    "npm",
    ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", ...[...want].map((n) => tarballs.get(n))],
    { cwd: dir },
  );
  if (r.status !== 0) throw new Error(`npm install ${[...want].join(" ")} failed:\n${r.out}`);
  const hello = join(root, "examples/hello");
  for (const f of ["main.o", "greet.o"]) copyFileSync(join(hello, f), join(dir, f));
  mkdirSync(join(dir, "debug"));
  copyFileSync(join(hello, "debug/greet.o"), join(dir, "debug/greet.o"));
  return dir;
}

/** Runs the README's examples in `dir`; returns failures (empty when all ran). */
export async function runExamples(readme, dir) {
  const failures = [];
  const blocks = [
    ...readmeBlocks(readme, "js").map((code, i) => [`example${i}.mjs`, code]),
    ...readmeBlocks(readme, "cjs").map((code, i) => [`example${i}.cjs`, code]),
  ];
  if (blocks.length === 0) failures.push("the README has no ```js or ```cjs example");
  for (const [file, code] of blocks) {
    writeFileSync(join(dir, file), code);
    const r = await sh(process.execPath, [file], { cwd: dir });
    if (r.status !== 0) failures.push(`${file} exited ${r.status}:\n${r.out}`);
  }
  return failures;
}

/** Each of the package's commands, as installed in `dir`: `--help` works, and a real job on the example objects. */
export async function runBins(pkg, dir) {
  const failures = [];
  const jobs = { "macho-dump": ["--sections", "main.o"], tsld: ["-o", "bin-hello", "main.o", "greet.o"] };
  for (const name of Object.keys(pkg.bin ?? {})) {
    const bin = join(dir, "node_modules/.bin", name);
    for (const args of [["--help"], jobs[name] ?? []]) {
      if (args.length === 0) continue;
      const r = await sh(bin, args, { cwd: dir });
      if (r.status !== 0) failures.push(`${name} ${args.join(" ")} exited ${r.status}:\n${r.out}`);
    }
  }
  return failures;
}

/** The whole dry run; returns a list of problems (empty: every package is fit to publish). */
export async function publishCheck({ work = mkdtempSync(join(tmpdir(), "tsld-publish-")), log = () => {} } = {}) {
  await ensureBuilt();
  const tarballs = await packAll(join(work, "tarballs"));
  const problems = [];
  for (const p of publicPackages()) {
    const tgz = tarballs.get(p.name);
    const say = (m) => problems.push(`${p.name}: ${m}`);
    const { problems: contents } = checkContents(tgz);
    contents.forEach(say);
    for (const m of await runPublint(tgz)) say(`publint ${m}`);
    const attw = await runAttw(tgz);
    if (attw) say(`attw:\n${attw}`);
    const readme = readFileSync(join(p.dir, "README.md"), "utf8");
    const names = readmeInstall(readme);
    if (!names.includes(p.name)) say(`README's npm install line does not install ${p.name}`);
    try {
      const dir = await installProject(names.length ? names : [p.name], tarballs, work);
      (await runExamples(readme, dir)).forEach(say);
      (await runBins(p.pkg, dir)).forEach(say);
      log(`${p.name}: packed, linted, installed, examples ran in ${dir}`);
    } catch (e) {
      say(e.message);
    }
  }
  return { problems, tarballs, work };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { problems, work } = await publishCheck({ log: (m) => console.log(m) });
  if (problems.length) {
    console.error(problems.join("\n\n"));
    process.exitCode = 1;
  } else {
    console.log(`publish dry run: every package is fit to publish (tarballs in ${work}/tarballs)`);
    rmSync(work, { recursive: true, force: true });
  }
}
