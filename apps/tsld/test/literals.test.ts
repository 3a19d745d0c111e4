// Literal folding: equal C strings (S_CSTRING_LITERALS) and equal 4-, 8- and
// 16-byte literals (S_4/8/16BYTE_LITERALS) from different objects become one
// copy that every reference reaches; different values stay apart.
import { expect, it } from "vitest";
import { describeX86_64 } from "./helpers.js";
import { dump, filecheck, hex, linkAsm, sections, textBytes } from "./lit.js";

const A = `
.text
.globl _main
_main:
  leaq L_hello(%rip), %rax
  leaq L_world(%rip), %rax
  movss L_one(%rip), %xmm0
  movsd L_two(%rip), %xmm0
  movaps L_vec(%rip), %xmm0
  callq _other
  retq
.cstring
L_hello: .asciz "hello"
L_world: .asciz "world"
.literal4
L_one: .long 0x3f800000
.literal8
L_two: .quad 0x4000000000000000
.literal16
L_vec: .quad 1, 2
.subsections_via_symbols
`;

// The same values in another object, in another order, beside different ones.
const B = `
.text
.globl _other
_other:
  leaq L_hello(%rip), %rax
  leaq L_other(%rip), %rax
  movss L_one(%rip), %xmm0
  movss L_twof(%rip), %xmm0
  movsd L_two(%rip), %xmm0
  movaps L_vec(%rip), %xmm0
  movaps L_vec2(%rip), %xmm0
  retq
.cstring
L_other: .asciz "other"
L_hello: .asciz "hello"
.literal4
L_twof: .long 0x40000000
L_one: .long 0x3f800000
.literal8
L_two: .quad 0x4000000000000000
.literal16
L_vec2: .quad 2, 1
L_vec: .quad 1, 2
.subsections_via_symbols
`;

const CHECKS = `
CHECK: <_main>:
CHECK-NEXT: leaq {{.*}} ## 0x[[HELLO:[0-9a-f]+]]
CHECK-NEXT: leaq {{.*}} ## 0x[[WORLD:[0-9a-f]+]]
CHECK-NEXT: movss {{.*}} ## 0x[[ONE:[0-9a-f]+]]
CHECK-NEXT: movsd {{.*}} ## 0x[[TWO:[0-9a-f]+]]
CHECK-NEXT: movaps {{.*}} ## 0x[[VEC:[0-9a-f]+]]
CHECK: <_other>:
CHECK-NEXT: leaq {{.*}} ## 0x[[HELLO]]
CHECK-NEXT: leaq {{.*}} ## 0x[[OTHER:[0-9a-f]+]]
CHECK-NEXT: movss {{.*}} ## 0x[[ONE]]
CHECK-NEXT: movss {{.*}} ## 0x[[TWOF:[0-9a-f]+]]
CHECK-NEXT: movsd {{.*}} ## 0x[[TWO]]
CHECK-NEXT: movaps {{.*}} ## 0x[[VEC]]
CHECK-NEXT: movaps {{.*}} ## 0x[[VEC2:[0-9a-f]+]]
`;

describeX86_64("x86 RIP-relative literal loads checked in x86 disassembly")("literal folding", () => {
  it("gives equal literals from two objects one address, and keeps different ones apart", async () => {
    const out = await linkAsm("literals", { lit_a: A, lit_b: B });
    const dis = dump("llvm-objdump-19", ["-d", "--no-show-raw-insn", "--no-leading-addr", out]);
    const v = filecheck(dis, CHECKS);
    const at = (k: string, n: number) => textBytes(out, hex(v[k]!), n);
    expect(at("HELLO", 6).toString("latin1")).toBe("hello\0");
    expect(at("WORLD", 6).toString("latin1")).toBe("world\0");
    expect(at("OTHER", 6).toString("latin1")).toBe("other\0");
    expect(at("ONE", 4).readFloatLE(0)).toBe(1);
    expect(at("TWOF", 4).readFloatLE(0)).toBe(2);
    expect(at("TWO", 8).readDoubleLE(0)).toBe(2);
    expect([at("VEC", 16).readBigUInt64LE(0), at("VEC", 16).readBigUInt64LE(8)]).toEqual([1n, 2n]);
    expect([at("VEC2", 16).readBigUInt64LE(0), at("VEC2", 16).readBigUInt64LE(8)]).toEqual([2n, 1n]);
    // 16-byte literals are 16-aligned, 8-byte 8, 4-byte 4.
    expect(hex(v.VEC!) % 16).toBe(0);
    expect(hex(v.VEC2!) % 16).toBe(0);
    expect(hex(v.TWO!) % 8).toBe(0);
    expect(hex(v.ONE!) % 4).toBe(0);
    // No duplicate survives: three strings of 6 bytes; 2 + 1 + 2 literals of 4, 8 and 16 bytes.
    const secs = sections(out);
    expect(secs.find((s) => s.name === "__cstring")!.size).toBe(18);
    const lits = secs.filter((s) => s.name.startsWith("__literal"));
    expect(lits.reduce((n, s) => n + s.size, 0)).toBe(2 * 4 + 8 + 2 * 16);
  });

  it("does not fold a C string into the tail of another; a folded string keeps the largest alignment asked of it", async () => {
    const out = await linkAsm("literals-tail", {
      lit_tail: `
.text
.globl _main
_main:
  leaq L_long(%rip), %rax
  leaq L_tail(%rip), %rax
  leaq L_aligned(%rip), %rax
  retq
.cstring
L_long: .asciz "xhello"
L_tail: .asciz "hello"
.p2align 4
L_aligned: .asciz "hello"
.subsections_via_symbols
`,
    });
    const dis = dump("llvm-objdump-19", ["-d", "--no-show-raw-insn", "--no-leading-addr", out]);
    const v = filecheck(
      dis,
      `
CHECK: <_main>:
CHECK-NEXT: leaq {{.*}} ## 0x[[LONG:[0-9a-f]+]]
CHECK-NEXT: leaq {{.*}} ## 0x[[TAIL:[0-9a-f]+]]
CHECK-NEXT: leaq {{.*}} ## 0x[[ALIGNED:[0-9a-f]+]]
`,
    );
    expect(textBytes(out, hex(v.LONG!), 7).toString("latin1")).toBe("xhello\0");
    expect(textBytes(out, hex(v.TAIL!), 6).toString("latin1")).toBe("hello\0");
    expect(hex(v.TAIL!)).not.toBe(hex(v.LONG!) + 1);
    // the two "hello"s fold (as in lld) into one copy, 16-aligned for the reference that needs it
    expect(hex(v.ALIGNED!) % 16).toBe(0);
    expect(hex(v.TAIL!)).toBe(hex(v.ALIGNED!));
    expect(textBytes(out, hex(v.ALIGNED!), 6).toString("latin1")).toBe("hello\0");
  });
});
