import { describe, expect, it } from "vitest";
import { outputName } from "./symtab.js";

// The seed change's rule (Go's machosymtab): C names keep their `_`, Go
// names (a dot, no leading `_`) get none, except when dynamically linking,
// where every non-local symbol is `_`-prefixed so dlsym finds it.
describe("outputName", () => {
  it.each([
    ["_main", false, false, "_main"],
    ["_main", true, false, "_main"],
    ["runtime.text", false, false, "runtime.text"],
    ["runtime.text", true, false, "_runtime.text"],
    ["runtime.text", true, true, "runtime.text"],
    ["_x.y", true, false, "_x.y"],
    ["ltmp0", true, false, "ltmp0"],
  ])("%s (dynlinking %s, local %s) → %s", (name, dyn, local, want) => {
    expect(outputName(name, dyn, local)).toBe(want);
  });
});
