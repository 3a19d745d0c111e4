// Relocations whose target, address plus addend, lies outside the target's
// block (atom) or outside its section: `.quad L - _x - 16` before the section,
// `leaq L+0x58(%rip)` past its end, and the like. As ld64 and lld do, they are
// computed from the section as laid out (the atom nearest the address, plus
// the distance to it), for every form: SUBTRACTOR/UNSIGNED pairs with a
// section-relative minuend (64 and 32 bits), reversed pairs, plain UNSIGNED
// pointers, pc-relative SIGNED, and SIGNED_1/2/4 with addends. The program
// prints each value relative to the section's base, so the expected numbers
// hold for any layout; lld's link must print the same.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { linkWithLld } from "@tsld/fixtures";
import { describe, expect, it } from "vitest";
import { ARCH, assemble, byArch, compileC, itX86_64, linkBoth, runMachO, tmp, tsld } from "./helpers.js";

/** The functions, per arch: each returns an address or compares loads, with addends leaving the target's block. */
const TEXT = byArch({
  x86_64: `
        .text
        .globl _pool
_pool:  leaq Lpool_a(%rip), %rax
        retq
        .globl _pool2
_pool2: leaq Lp2(%rip), %rax
        retq
        # pc-relative SIGNED, section-relative, before and past the section
        .globl _lea_before
_lea_before: leaq Lpool_a-0x20(%rip), %rax
        retq
        .globl _lea_after
_lea_after: leaq Lpool_b+0x58(%rip), %rax
        retq
        .globl _lea_tail
_lea_tail: leaq Lp2+0x30(%rip), %rax
        retq
        # section-relative loads across blocks (SIGNED with immediates folded in)
        .globl _cmp_local
_cmp_local: xorl %eax, %eax
        cmpb $0x33, Lpool_b+0x8(%rip)
        jne 1f
        orl $1, %eax
1:      cmpw $0x4444, Lpool_a+0x18(%rip)
        jne 2f
        orl $2, %eax
2:      cmpl $0x33333333, Lpool_b+0xc(%rip)
        jne 3f
        orl $4, %eax
3:      retq
        # SIGNED_1/2/4 to a symbol with addends leaving its block backwards
        .globl _cmp_ext
_cmp_ext: xorl %eax, %eax
        cmpb $0x22, _pool_mid-0x8(%rip)
        jne 1f
        orl $1, %eax
1:      cmpw $0x1111, _pool_mid-0x10(%rip)
        jne 2f
        orl $2, %eax
2:      cmpl $0x22222222, _pool_mid-0x4(%rip)
        jne 3f
        orl $4, %eax
3:      retq
`,
  // llvm-mc cannot encode a negative ARM64_RELOC_ADDEND (the value spills into r_type), so every
  // addend here is positive: _lea_before reaches into the next block instead of before the section,
  // which the data pairs reach on either arch.
  arm64: `
        .text
        .p2align 2
        .globl _pool
_pool:  adrp x0, Lpool_a@PAGE
        add x0, x0, Lpool_a@PAGEOFF
        ret
        .globl _pool2
_pool2: adrp x0, Lp2@PAGE
        add x0, x0, Lp2@PAGEOFF
        ret
        .globl _lea_before
_lea_before: adrp x0, Lpool_a+0x20@PAGE
        add x0, x0, Lpool_a+0x20@PAGEOFF
        ret
        .globl _lea_after
_lea_after: adrp x0, Lpool_b+0x58@PAGE
        add x0, x0, Lpool_b+0x58@PAGEOFF
        ret
        .globl _lea_tail
_lea_tail: adrp x0, Lp2+0x30@PAGE
        add x0, x0, Lp2+0x30@PAGEOFF
        ret
        .globl _cmp_local
_cmp_local:
        mov w0, #0
        adrp x8, Lpool_b+0x8@PAGE
        ldrb w9, [x8, Lpool_b+0x8@PAGEOFF]
        cmp w9, #0x33
        b.ne 1f
        orr w0, w0, #1
1:      adrp x8, Lpool_a+0x18@PAGE
        ldrh w9, [x8, Lpool_a+0x18@PAGEOFF]
        mov w10, #0x4444
        cmp w9, w10
        b.ne 2f
        orr w0, w0, #2
2:      adrp x8, Lpool_b+0xc@PAGE
        ldr w9, [x8, Lpool_b+0xc@PAGEOFF]
        mov w10, #0x3333
        movk w10, #0x3333, lsl #16
        cmp w9, w10
        b.ne 3f
        orr w0, w0, #4
3:      ret
        .globl _cmp_ext
_cmp_ext:
        mov w0, #0
        adrp x8, _pool_mid+0x8@PAGE
        ldrb w9, [x8, _pool_mid+0x8@PAGEOFF]
        cmp w9, #0x44
        b.ne 1f
        orr w0, w0, #1
1:      adrp x8, _pool_mid+0xa@PAGE
        ldrh w9, [x8, _pool_mid+0xa@PAGEOFF]
        mov w10, #0x4444
        cmp w9, w10
        b.ne 2f
        orr w0, w0, #2
2:      adrp x8, _pool_mid+0xc@PAGE
        ldr w9, [x8, _pool_mid+0xc@PAGEOFF]
        mov w10, #0x4444
        movk w10, #0x4444, lsl #16
        cmp w9, w10
        b.ne 3f
        orr w0, w0, #4
3:      ret
`,
});

const DIFFS = `
        .section __DATA,__data
        .globl _anchor
        .p2align 3
_anchor: .quad 0
        // SUBTRACTOR (extern) + UNSIGNED (section-relative) with addends leaving the block
        .globl _q_next
_q_next: .quad Lpool_b - _anchor + 0x10      // into the next atom
        .globl _q_before
_q_before: .quad Lpool_a - _anchor - 0x10    // before the section
        .globl _q_far
_q_far: .quad Lpool_b - _anchor + 0x40       // past the section's end
        // reversed: the section's symbol is the subtrahend, the result negative
        .globl _q_neg
_q_neg: .quad _anchor - _pool_mid - 0x20
        // 32-bit pairs
        .globl _l_pair
_l_pair: .long Lpool_a - _l_pair - 0x30
        .long Lpool_b - _l_pair + 0x50
        // plain section-relative UNSIGNED pointers (rebased), before, past and across blocks
        .globl _p_abs
_p_abs: .quad Lpool_a - 0x18
        .quad Lpool_b + 0x48
        .quad Lpool_b + 0x10

        // a section of assembler-local labels and one atom symbol
        .section __TEXT,__pool,regular
        .p2align 3
Lpool_a: .quad 0x1111111111111111
Lpool_b: .quad 0x2222222222222222
        .globl _pool_mid
_pool_mid: .quad 0x3333333333333333
        .quad 0x4444444444444444

        // its last atom is reached only past the end of the section
        .section __TEXT,__pool2,regular
        .p2align 3
Lp2:    .quad 1
        .globl _p2_tail
_p2_tail: .quad 2

        ${TEXT}
        .subsections_via_symbols
`;

const MAIN = `#include <stdio.h>
extern char anchor[], pool_mid[];
extern long q_next, q_before, q_far, q_neg;
extern int l_pair[2];
extern char *p_abs[3];
char *pool(void), *pool2(void), *lea_before(void), *lea_after(void), *lea_tail(void);
int cmp_local(void), cmp_ext(void);
int main(void) {
  char *a = anchor, *p = pool(), *l = (char *)l_pair;
  printf("pairs %ld %ld %ld %ld\\n", q_next - (p - a), q_before - (p - a), q_far - (p - a), q_neg - (a - pool_mid));
  printf("pair32 %ld %ld\\n", (long)l_pair[0] - (p - l), (long)l_pair[1] - (p - l));
  printf("unsigned %ld %ld %ld\\n", (long)(p_abs[0] - p), (long)(p_abs[1] - p), (long)(p_abs[2] - p));
  printf("signed %ld %ld %ld\\n", (long)(lea_before() - p), (long)(lea_after() - p), (long)(lea_tail() - pool2()));
  printf("cmp %d %d mid %ld\\n", cmp_local(), cmp_ext(), (long)(pool_mid - p));
  return 0;
}
`;

const WANT = `pairs 24 -16 72 -32\npair32 -48 88\nunsigned -24 80 24\nsigned ${byArch({ x86_64: -32, arm64: 32 })} 96 48\ncmp 7 7 mid 16\n`;

describe("relocations whose target lies outside its block or section", () => {
  const objects = (): string[] => [
    assemble(DIFFS, { name: "outside-diffs" }),
    compileC(MAIN, { name: "outside-main" }),
  ];

  // -no_pie: x86_64 alone (Go's darwin/arm64 executables are always PIE; tsld refuses it there).
  for (const flags of [[], ["-dead_strip"], ...(ARCH === "x86_64" ? [["-no_pie"]] : [])]) {
    it(`every form computes from the section base, as lld does${flags.length ? ` (${flags[0]})` : ""}`, async () => {
      const { ours, theirs } = await linkBoth(tmp("tsld-outside-"), "outside", objects(), flags, flags);
      const want = runMachO(theirs);
      expect(want.stdout).toBe(WANT);
      const got = runMachO(ours);
      expect(got.stderr).toBe("");
      expect(got.stdout).toBe(WANT);
      expect(got.status).toBe(0);
    });
  }

  // arm64 objects cannot say it: llvm-mc names a section-start symbol (ltmpN) in every arm64 relocation.
  itX86_64("llvm-mc writes section-relative SUBTRACTORs only for x86_64")(
    "refuses a SUBTRACTOR that names a section, not a symbol, like lld",
    async () => {
      const src = `
        .section __DATA,__data
        .globl _q
        .p2align 3
_q:     .quad _main - Lpool
        .section __TEXT,__pool,regular
Lpool:  .quad 1
        .text
        .globl _main
_main:  retq
        .subsections_via_symbols
`;
      const obj = assemble(src, { name: "outside-sub-section" });
      const dir = tmp("tsld-outside-err-");
      const out = join(dir, "a.out");
      const r = await tsld(["-o", out, obj]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /outside-sub-section.*__DATA,__data\+0x0 \(in _q\+0x0\): SUBTRACTOR relocation must name a symbol/,
      );
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(out)).toBe(false);
      expect(() => linkWithLld([obj], join(dir, "a.lld"))).toThrow();
    },
  );
});
