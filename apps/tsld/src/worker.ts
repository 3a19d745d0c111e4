/**
 * The worker threads' entry (core's `WorkerPool` starts it): every stage's
 * parallel tasks, served until the link ends. It lives in the CLI, which
 * knows every stage; the pool itself imports none. Built as its own bundle
 * beside the CLI's (dist/lib/worker.{js,cjs}); from TypeScript sources,
 * worker-source.mjs runs it under tsx.
 */
import { serveWorkerTasks } from "@tsld/core";
import { dwarfMergeTask } from "@tsld/dwarf";
import { relocateTask } from "@tsld/layout";
import { pageHashTask, uuidTask } from "@tsld/macho";
import { parseTask } from "@tsld/objfile";

serveWorkerTasks([parseTask, relocateTask, dwarfMergeTask, uuidTask, pageHashTask]);
