/**
 * The target registry: one line per supported CPU type. Objects pick their
 * target by `cputype`; `-arch` names pick it by name.
 */
import type { TargetInfo } from "./target.js";
import { arm64 } from "./targets/arm64.js";
import { x86_64 } from "./targets/x86_64.js";

const TARGETS: readonly TargetInfo[] = [x86_64, arm64];

/** The target for mach_header `cputype`, or undefined when tsld has none. */
export function targetForCpu(cputype: number): TargetInfo | undefined {
  return TARGETS.find((t) => t.cputype === cputype);
}

/** The target called `name` (`-arch`), or undefined. */
export function targetForName(name: string): TargetInfo | undefined {
  return TARGETS.find((t) => t.name === name);
}
