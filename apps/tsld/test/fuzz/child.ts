/**
 * The fuzz runner's child process: runs one tsld command line at a time,
 * in process, for the parent (runner.ts), which kills and replaces it when a
 * case overruns its time limit. Messages in: `{ id, argv, cwd }`; out:
 * `{ id, status, stdout, stderr, thrown?, maxRssKiB }`, where `thrown` is a
 * stack that escaped `main` (what the real CLI would print as a crash).
 */
import { main } from "../../src/index.js";

interface Job {
  id: number;
  argv: string[];
  /** The case's working directory (where a default a.out lands). */
  cwd: string;
}

process.on("message", (job: Job) => {
  void (async () => {
    let stdout = "";
    let stderr = "";
    let status: number;
    let thrown: string | undefined;
    try {
      process.chdir(job.cwd);
      status = await main(job.argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
    } catch (e) {
      status = -1;
      thrown = (e as Error)?.stack ?? String(e);
    }
    process.send!({ id: job.id, status, stdout, stderr, thrown, maxRssKiB: process.resourceUsage().maxRSS });
  })();
});
process.send!({ ready: true });
