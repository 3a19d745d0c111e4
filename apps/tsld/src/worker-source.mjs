// The worker entry when tsld runs from its TypeScript sources (vitest, tsx):
// worker.ts through tsx's loader, with the workspace packages resolved to
// their sources (the "@tsld/source" export condition), as the tests resolve them.
import { register } from "node:module";
import { register as registerTsx } from "tsx/esm/api";

register(
  `data:text/javascript,${encodeURIComponent(
    'export function resolve(s, c, next) { return next(s, { ...c, conditions: [...c.conditions, "@tsld/source"] }); }',
  )}`,
);
registerTsx();
await import("./worker.ts");
