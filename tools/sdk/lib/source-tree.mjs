// Reading the public source repositories the SDK generator compiles its
// export lists from, at a pinned commit. A source root holds one directory
// per repository, named `owner+name` (the layout of the search tool's
// `fetch` mirrors): either a git directory at `owner+name/repo` (read at the
// pinned commit with `git ls-tree`/`git cat-file`, nothing checked out) or a
// plain tree of files at `owner+name/` (the test fixtures). Nothing read here
// is copied into the repository: the generator keeps only names.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";

/**
 * One repository at one commit. `files` lists every path (sorted);
 * `read(path)` returns its text or undefined; `paths` records, in order,
 * every path read (for the sources file).
 */
export class SourceRepo {
  constructor(root, spec) {
    this.spec = spec;
    this.name = spec.repo;
    const dir = join(root, spec.repo.replace("/", "+"));
    this.gitDir = existsSync(join(dir, "repo", "HEAD")) ? join(dir, "repo") : undefined;
    this.dir = dir;
    this.read_ = new Set();
    if (this.gitDir) {
      const out = execFileSync("git", ["--git-dir", this.gitDir, "ls-tree", "-r", "--name-only", spec.commit], {
        encoding: "utf8",
        maxBuffer: 1 << 28,
      });
      this.files = out.split("\n").filter(Boolean).sort();
    } else if (existsSync(dir)) {
      this.files = walk(dir)
        .map((p) => relative(dir, p).split(sep).join("/"))
        .sort();
    } else {
      throw new Error(`source ${spec.repo} not found under ${root} (expected ${dir}/repo or a tree at ${dir})`);
    }
    this.fileSet = new Set(this.files);
    this.cache = new Map();
  }

  has(path) {
    return this.fileSet.has(path);
  }

  /** Reads many paths at once (one git process); returns path → text. */
  prefetch(paths) {
    const want = paths.filter((p) => this.fileSet.has(p) && !this.cache.has(p));
    if (want.length === 0) return;
    if (!this.gitDir) {
      for (const p of want) this.cache.set(p, readFileSync(join(this.dir, p), "latin1"));
      return;
    }
    const input = `${want.map((p) => `${this.spec.commit}:${p}`).join("\n")}\n`;
    const out = execFileSync("git", ["--git-dir", this.gitDir, "cat-file", "--batch"], {
      input,
      maxBuffer: 1 << 30,
    });
    let off = 0;
    for (const p of want) {
      const nl = out.indexOf(10, off);
      const header = out.subarray(off, nl).toString("latin1");
      const size = Number(header.split(" ")[2]);
      this.cache.set(p, out.subarray(nl + 1, nl + 1 + size).toString("latin1"));
      off = nl + 1 + size + 1;
    }
  }

  read(path) {
    if (!this.fileSet.has(path)) return undefined;
    if (!this.cache.has(path)) this.prefetch([path]);
    this.read_.add(path);
    return this.cache.get(path);
  }

  /** Paths matching a glob-ish filter (a RegExp over the path). */
  match(re) {
    return this.files.filter((p) => re.test(p));
  }

  /** Every path read so far, sorted. */
  readPaths() {
    return [...this.read_].sort();
  }
}

function walk(dir) {
  const out = [];
  for (const e of readdirSync(dir).sort()) {
    if (e === ".git") continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}
