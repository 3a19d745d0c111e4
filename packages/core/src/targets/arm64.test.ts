import { describe, expect, it } from "vitest";
import { RelocResult } from "../target.js";
import { arm64, pageOff12Scale } from "./arm64.js";

const word = (n: number): DataView => {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setUint32(0, n, true);
  return dv;
};

// Instruction shapes as the Arm ARM encodes them; scales as lld's encodePageOff12.
describe("arm64 PAGEOFF12", () => {
  it.each([
    ["add x0, x0, #0", 0, 0x91000000],
    ["ldrb w0, [x0]", 0, 0x39400000],
    ["ldrh w0, [x0]", 1, 0x79400000],
    ["ldr w0, [x0]", 2, 0xb9400000],
    ["ldr x0, [x0]", 3, 0xf9400000],
    ["str x0, [x0]", 3, 0xf9000000],
    ["ldr b0, [x0]", 0, 0x3d400000],
    ["ldr d0, [x0]", 3, 0xfd400000],
    ["ldr q0, [x0]", 4, 0x3dc00000],
    ["str q0, [x0]", 4, 0x3d800000],
  ])("%s: scale %i", (_n, scale, insn) => {
    expect(pageOff12Scale(insn)).toBe(scale);
  });

  it("stores the scaled offset and refuses a misaligned one", () => {
    const dv = word(0xf9400000); // ldr x0, [x0]
    expect(arm64.relocateOne(dv, 0, 4, 2, false, 0x100004018, 0, true)).toBe(RelocResult.Ok);
    expect(dv.getUint32(0, true)).toBe((0xf9400000 | ((0x18 >> 3) << 10)) >>> 0);
    expect(arm64.relocateOne(word(0xf9400000), 0, 4, 2, false, 0x100004014, 0, true)).toBe(RelocResult.Misaligned);
    expect(arm64.relocateOne(word(0xd503201f), 0, 4, 2, false, 0x100004014, 0, true)).toBe(RelocResult.BadInstruction);
  });
});

describe("arm64 PAGE21 and BRANCH26", () => {
  it("encodes adrp's page delta in immlo:immhi, negative too", () => {
    const dv = word(0x90000000);
    expect(arm64.relocateOne(dv, 0, 3, 2, true, 0x100000000 - 0x5000, 0x100000000, true)).toBe(RelocResult.Ok);
    const insn = dv.getUint32(0, true);
    const pages = (((insn >>> 5) & 0x7ffff) << 2) | ((insn >>> 29) & 3);
    expect((pages << 11) >> 11).toBe(-5);
  });

  it("encodes bl's word displacement and refuses ±128 MiB", () => {
    const dv = word(0x94000000);
    expect(arm64.relocateOne(dv, 0, 2, 2, true, 0x1000 - 8, 0x1000, true)).toBe(RelocResult.Ok);
    expect(dv.getUint32(0, true)).toBe(0x97fffffe);
    expect(arm64.relocateOne(word(0x94000000), 0, 2, 2, true, 0x1000 + 0x8000000, 0x1000, true)).toBe(
      RelocResult.PcrelOverflow,
    );
  });

  it("relaxes a GOT load's ldr into an add of the same registers", () => {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, 0xf9400c23, true); // ldr x3, [x1, #0x18]
    expect(arm64.relaxLoad(out, 0, 6)).toBe(true);
    expect((new DataView(out.buffer).getUint32(0, true) & 0xffc003ff) >>> 0).toBe(0x91000023); // add x3, x1, #…
  });
});
