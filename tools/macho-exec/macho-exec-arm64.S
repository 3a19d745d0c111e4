/*
 * macho-exec-arm64.S — the pieces of the aarch64 build of macho-exec that must
 * be assembly (the x86_64 build's are in macho-exec-asm.S).
 *
 *   mx_tlv_get_addr      the thunk stored in every Mach-O TLV descriptor
 *                        (dyld's tlv_get_addr from threadLocalHelpers.s).
 *   mx_stub_binder       dyld_stub_binder for MACHO_EXEC_LAZY=1 (lazy binding on first call).
 *   mx_chkstk_darwin     ___chkstk_darwin: stack probe for big frames.
 *   mx_start_unixthread  jump to an LC_UNIXTHREAD entry with a prepared stack.
 *   mx_va_*              Apple-to-AAPCS64 shims for variadic and va_list
 *                        functions (see macho-exec-arm64-shims.h).
 */
	.text

/*
 * void *mx_tlv_get_addr(struct tlv_descriptor *d)    (d in x0, result in x0)
 *
 * Compiled Mach-O code does `ldr x8, [x0]; blr x8` and, as with dyld's
 * thunk, assumes every register but x0, x16, x17 and lr survives: keep
 * x1-x18 and the full 128-bit q0-q31 (glibc's string functions use SIMD)
 * around the C slow path.
 */
	.globl	mx_tlv_get_addr
	.type	mx_tlv_get_addr, %function
	.p2align 2
mx_tlv_get_addr:
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	sub	sp, sp, #656
	stp	x1, x2, [sp, #0]
	stp	x3, x4, [sp, #16]
	stp	x5, x6, [sp, #32]
	stp	x7, x8, [sp, #48]
	stp	x9, x10, [sp, #64]
	stp	x11, x12, [sp, #80]
	stp	x13, x14, [sp, #96]
	stp	x15, x16, [sp, #112]
	stp	x17, x18, [sp, #128]
	stp	q0, q1, [sp, #144]
	stp	q2, q3, [sp, #176]
	stp	q4, q5, [sp, #208]
	stp	q6, q7, [sp, #240]
	stp	q8, q9, [sp, #272]
	stp	q10, q11, [sp, #304]
	stp	q12, q13, [sp, #336]
	stp	q14, q15, [sp, #368]
	stp	q16, q17, [sp, #400]
	stp	q18, q19, [sp, #432]
	stp	q20, q21, [sp, #464]
	stp	q22, q23, [sp, #496]
	stp	q24, q25, [sp, #528]
	stp	q26, q27, [sp, #560]
	stp	q28, q29, [sp, #592]
	stp	q30, q31, [sp, #624]
	bl	mx_tlv_get_addr_slow
	ldp	x1, x2, [sp, #0]
	ldp	x3, x4, [sp, #16]
	ldp	x5, x6, [sp, #32]
	ldp	x7, x8, [sp, #48]
	ldp	x9, x10, [sp, #64]
	ldp	x11, x12, [sp, #80]
	ldp	x13, x14, [sp, #96]
	ldp	x15, x16, [sp, #112]
	ldp	x17, x18, [sp, #128]
	ldp	q0, q1, [sp, #144]
	ldp	q2, q3, [sp, #176]
	ldp	q4, q5, [sp, #208]
	ldp	q6, q7, [sp, #240]
	ldp	q8, q9, [sp, #272]
	ldp	q10, q11, [sp, #304]
	ldp	q12, q13, [sp, #336]
	ldp	q14, q15, [sp, #368]
	ldp	q16, q17, [sp, #400]
	ldp	q18, q19, [sp, #432]
	ldp	q20, q21, [sp, #464]
	ldp	q22, q23, [sp, #496]
	ldp	q24, q25, [sp, #528]
	ldp	q26, q27, [sp, #560]
	ldp	q28, q29, [sp, #592]
	ldp	q30, q31, [sp, #624]
	mov	sp, x29
	ldp	x29, x30, [sp], #16
	ret
	.size	mx_tlv_get_addr, .-mx_tlv_get_addr

/*
 * dyld_stub_binder (MACHO_EXEC_LAZY=1).  The stub helper entry loaded its
 * lazy-bind offset into w16, its header the address of __dyld_private into
 * x17 and did `stp x16, x17, [sp, #-16]!`: [sp] = offset, [sp+8] =
 * __dyld_private; lr still returns into the stub's caller.  Keep the argument
 * registers (x0-x8, q0-q7), bind, pop the pair and jump to the target as if
 * the stub had.
 */
	.globl	mx_stub_binder
	.type	mx_stub_binder, %function
	.p2align 2
mx_stub_binder:
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	sub	sp, sp, #208
	stp	x0, x1, [sp, #0]
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	str	x8, [sp, #64]
	stp	q0, q1, [sp, #80]
	stp	q2, q3, [sp, #112]
	stp	q4, q5, [sp, #144]
	stp	q6, q7, [sp, #176]
	ldr	x0, [x29, #24]
	ldr	w1, [x29, #16]
	bl	mx_lazy_bind
	mov	x16, x0
	ldp	x0, x1, [sp, #0]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldr	x8, [sp, #64]
	ldp	q0, q1, [sp, #80]
	ldp	q2, q3, [sp, #112]
	ldp	q4, q5, [sp, #144]
	ldp	q6, q7, [sp, #176]
	mov	sp, x29
	ldp	x29, x30, [sp], #16
	add	sp, sp, #16
	br	x16
	.size	mx_stub_binder, .-mx_stub_binder

/*
 * ___chkstk_darwin: x15 holds the frame size in 16-byte units (the caller
 * then does `sub sp, sp, x15, lsl #4`); touch each page from sp down to
 * sp - x15*16.  Preserves every register but x16, x17 and the flags.
 */
	.globl	mx_chkstk_darwin
	.type	mx_chkstk_darwin, %function
	.p2align 2
mx_chkstk_darwin:
	lsl	x16, x15, #4
	mov	x17, sp
1:
	cmp	x16, #0x1000
	b.lo	2f
	sub	x17, x17, #0x1000
	ldr	xzr, [x17]
	sub	x16, x16, #0x1000
	b	1b
2:
	sub	x17, x17, x16
	ldr	xzr, [x17]
	ret
	.size	mx_chkstk_darwin, .-mx_chkstk_darwin

/*
 * void mx_start_unixthread(void *entry, void *sp)  — never returns.
 * The kernel-style initial stack (argc, argv..., 0, envp..., 0, apple..., 0)
 * has been laid out at sp by the caller.
 */
	.globl	mx_start_unixthread
	.type	mx_start_unixthread, %function
	.p2align 2
mx_start_unixthread:
	mov	sp, x1
	mov	x16, x0
	mov	x0, #0
	mov	x1, #0
	mov	x2, #0
	mov	x3, #0
	mov	x29, #0
	mov	x30, #0
	br	x16
	.size	mx_start_unixthread, .-mx_start_unixthread

/*
 * The shims.  Frame: fp/lr at [sp], then the glibc va_list at [sp+16]:
 * __stack (+16), __gr_top (+24), __vr_top (+32), __gr_offs (+40) = 0,
 * __vr_offs (+44) = 0.
 */
#define MX_SHIM_HEAD(name)                                                     \
	.globl	mx_va_##name;                                                  \
	.type	mx_va_##name, %function;                                       \
	.p2align 2;                                                            \
mx_va_##name:

#define MX_SHIM_TAIL(name, reg, target)                                        \
	stp	xzr, xzr, [sp, #24];                                           \
	str	xzr, [sp, #40];                                                \
	add	x##reg, sp, #16;                                               \
	bl	target;                                                        \
	ldp	x29, x30, [sp], #48;                                           \
	ret;                                                                   \
	.size	mx_va_##name, .-mx_va_##name;

#define MX_VARIADIC(name, nfixed, target)                                      \
	MX_SHIM_HEAD(name)                                                     \
	stp	x29, x30, [sp, #-48]!;                                         \
	mov	x29, sp;                                                       \
	add	x9, sp, #48;                                                   \
	str	x9, [sp, #16];                                                 \
	MX_SHIM_TAIL(name, nfixed, target)

#define MX_VALIST(name, apreg, target)                                         \
	MX_SHIM_HEAD(name)                                                     \
	stp	x29, x30, [sp, #-48]!;                                         \
	mov	x29, sp;                                                       \
	str	x##apreg, [sp, #16];                                           \
	MX_SHIM_TAIL(name, apreg, target)

#define MX_LOADSLOT(first, reg)                                                \
	.if first <= reg;                                                      \
	ldr	x##reg, [sp, #(8 * (reg - first))];                            \
	.endif;

#define MX_STACKARGS(name, first, target)                                      \
	MX_SHIM_HEAD(name)                                                     \
	MX_LOADSLOT(first, 1)                                                  \
	MX_LOADSLOT(first, 2)                                                  \
	MX_LOADSLOT(first, 3)                                                  \
	MX_LOADSLOT(first, 4)                                                  \
	MX_LOADSLOT(first, 5)                                                  \
	MX_LOADSLOT(first, 6)                                                  \
	MX_LOADSLOT(first, 7)                                                  \
	b	target;                                                        \
	.size	mx_va_##name, .-mx_va_##name;

#include "macho-exec-arm64-shims.h"

	.section .note.GNU-stack,"",%progbits
