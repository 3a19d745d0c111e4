import { describe, expect, it } from "vitest";
import { x86_64 } from "./x86_64.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

// Byte shapes lld's x86-64-stubs.s expects: a 6-byte `jmpq *ptr(%rip)` stub,
// a 16-byte stub-helper header and 10-byte entries.
describe("x86_64 stubs", () => {
  it("writes jmpq *ptr(%rip) with a displacement from the next instruction", () => {
    const out = new Uint8Array(6);
    x86_64.writeStub(out, 0, 0x1000, 0x3008);
    expect(hex(out)).toBe("ff25" + "02200000");
  });

  it("writes the stub-helper header: leaq, pushq %r11, jmpq *binder, nop", () => {
    const out = new Uint8Array(16);
    x86_64.writeStubHelperHeader(out, 0, 0x2000, 0x4000, 0x3000);
    expect(x86_64.stubHelperHeaderSize).toBe(16);
    expect(hex(out.subarray(0, 3))).toBe("4c8d1d");
    expect(new DataView(out.buffer).getInt32(3, true)).toBe(0x4000 - 0x2007);
    expect(hex(out.subarray(7, 11))).toBe("4153ff25");
    expect(new DataView(out.buffer).getInt32(11, true)).toBe(0x3000 - 0x200f);
    expect(out[15]).toBe(0x90);
  });

  it("writes stub-helper entries: pushq $lazy_offset; jmp header", () => {
    const out = new Uint8Array(10);
    x86_64.writeStubHelperEntry(out, 0, 0x2010, 0x1234, 0x2000);
    expect(out[0]).toBe(0x68);
    expect(new DataView(out.buffer).getUint32(1, true)).toBe(0x1234);
    expect(out[5]).toBe(0xe9);
    expect(new DataView(out.buffer).getInt32(6, true)).toBe(0x2000 - 0x201a);
  });
});
