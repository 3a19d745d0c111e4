/**
 * Assembly shared by the data-in-code tests (relocatable.test.ts's `-r`
 * merge, data-in-code.test.ts's images): code with data regions in it, as
 * llvm-mc marks jump tables and literal pools (`.data_region`), which the
 * linker must carry into LC_DATA_IN_CODE.
 */

/** x86_64 `_main`: jumps through a 32-bit jump table (case 2 → `_f() + 1`). */
export const JUMP_TABLE_MAIN_X86_64 = `  .globl _main
_main:
  movl $2, %eax
  leaq Ltab(%rip), %rcx
  movslq (%rcx,%rax,4), %rax
  addq %rcx, %rax
  jmpq *%rax
  .p2align 2
  .data_region jt32
Ltab:
  .long Lc0-Ltab
  .long Lc1-Ltab
  .long Lc2-Ltab
  .end_data_region
Lc0:
  movl $10, %eax
  retq
Lc1:
  movl $11, %eax
  retq
Lc2:
  callq _f
  addl $1, %eax
  retq
.subsections_via_symbols
`;

/** The tail of either arch's `_f`: a byte table (`Ltab[1]` = 41) as a jt8 data region, then the end of the file. */
export const BYTE_TABLE_TAIL = `  .data_region jt8
Ltab:
  .byte 7, 41, 9, 1
  .end_data_region
.subsections_via_symbols
`;
