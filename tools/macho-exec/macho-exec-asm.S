/*
 * macho-exec-asm.S — the few pieces of macho-exec that must be assembly.
 *
 *   mx_tlv_get_addr      the thunk stored in every Mach-O TLV descriptor
 *                        (dyld's tlv_get_addr from threadLocalHelpers.s).
 *   mx_stub_binder       dyld_stub_binder for MACHO_EXEC_LAZY=1 (lazy binding on first call).
 *   mx_chkstk_darwin     ___chkstk_darwin: stack probe for big frames.
 *   mx_start_unixthread  jump to an LC_UNIXTHREAD entry with a prepared stack.
 */
	.text

/*
 * void *mx_tlv_get_addr(struct tlv_descriptor *d)    (d in %rdi)
 *
 * Compiled Mach-O code calls `call *(%rdi)` and assumes that every register
 * except %rax (the result) and the flags survives the call.  So save all
 * caller-saved general registers and the vector registers (ymm when the CPU
 * has AVX — glibc's memset/calloc may use AVX and clobber upper halves),
 * realign the stack and call the C slow path.
 */
	.globl	mx_tlv_get_addr
	.type	mx_tlv_get_addr, @function
	.p2align 4
mx_tlv_get_addr:
	pushq	%rbp
	movq	%rsp, %rbp
	pushq	%rdi
	pushq	%rsi
	pushq	%rdx
	pushq	%rcx
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	subq	$512, %rsp
	andq	$-32, %rsp
	cmpl	$0, mx_have_avx(%rip)
	jne	1f
	movdqa	%xmm0, 0(%rsp)
	movdqa	%xmm1, 16(%rsp)
	movdqa	%xmm2, 32(%rsp)
	movdqa	%xmm3, 48(%rsp)
	movdqa	%xmm4, 64(%rsp)
	movdqa	%xmm5, 80(%rsp)
	movdqa	%xmm6, 96(%rsp)
	movdqa	%xmm7, 112(%rsp)
	movdqa	%xmm8, 128(%rsp)
	movdqa	%xmm9, 144(%rsp)
	movdqa	%xmm10, 160(%rsp)
	movdqa	%xmm11, 176(%rsp)
	movdqa	%xmm12, 192(%rsp)
	movdqa	%xmm13, 208(%rsp)
	movdqa	%xmm14, 224(%rsp)
	movdqa	%xmm15, 240(%rsp)
	call	mx_tlv_get_addr_slow
	movdqa	0(%rsp), %xmm0
	movdqa	16(%rsp), %xmm1
	movdqa	32(%rsp), %xmm2
	movdqa	48(%rsp), %xmm3
	movdqa	64(%rsp), %xmm4
	movdqa	80(%rsp), %xmm5
	movdqa	96(%rsp), %xmm6
	movdqa	112(%rsp), %xmm7
	movdqa	128(%rsp), %xmm8
	movdqa	144(%rsp), %xmm9
	movdqa	160(%rsp), %xmm10
	movdqa	176(%rsp), %xmm11
	movdqa	192(%rsp), %xmm12
	movdqa	208(%rsp), %xmm13
	movdqa	224(%rsp), %xmm14
	movdqa	240(%rsp), %xmm15
	jmp	2f
1:
	vmovdqa	%ymm0, 0(%rsp)
	vmovdqa	%ymm1, 32(%rsp)
	vmovdqa	%ymm2, 64(%rsp)
	vmovdqa	%ymm3, 96(%rsp)
	vmovdqa	%ymm4, 128(%rsp)
	vmovdqa	%ymm5, 160(%rsp)
	vmovdqa	%ymm6, 192(%rsp)
	vmovdqa	%ymm7, 224(%rsp)
	vmovdqa	%ymm8, 256(%rsp)
	vmovdqa	%ymm9, 288(%rsp)
	vmovdqa	%ymm10, 320(%rsp)
	vmovdqa	%ymm11, 352(%rsp)
	vmovdqa	%ymm12, 384(%rsp)
	vmovdqa	%ymm13, 416(%rsp)
	vmovdqa	%ymm14, 448(%rsp)
	vmovdqa	%ymm15, 480(%rsp)
	vzeroupper
	call	mx_tlv_get_addr_slow
	vmovdqa	0(%rsp), %ymm0
	vmovdqa	32(%rsp), %ymm1
	vmovdqa	64(%rsp), %ymm2
	vmovdqa	96(%rsp), %ymm3
	vmovdqa	128(%rsp), %ymm4
	vmovdqa	160(%rsp), %ymm5
	vmovdqa	192(%rsp), %ymm6
	vmovdqa	224(%rsp), %ymm7
	vmovdqa	256(%rsp), %ymm8
	vmovdqa	288(%rsp), %ymm9
	vmovdqa	320(%rsp), %ymm10
	vmovdqa	352(%rsp), %ymm11
	vmovdqa	384(%rsp), %ymm12
	vmovdqa	416(%rsp), %ymm13
	vmovdqa	448(%rsp), %ymm14
	vmovdqa	480(%rsp), %ymm15
2:
	leaq	-64(%rbp), %rsp
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rcx
	popq	%rdx
	popq	%rsi
	popq	%rdi
	popq	%rbp
	ret
	.size	mx_tlv_get_addr, .-mx_tlv_get_addr

/*
 * dyld_stub_binder (MACHO_EXEC_LAZY=1).  The stub helper entry pushed the
 * lazy-bind offset, its header the address of __dyld_private, then jumped
 * here: [%rsp] = __dyld_private, [%rsp+8] = offset, [%rsp+16] = the return
 * address into the stub's caller.  Keep the argument registers (and %rax,
 * the vector count of a variadic call), bind, drop the two words and jump
 * to the target as if the stub had.
 */
	.globl	mx_stub_binder
	.type	mx_stub_binder, @function
	.p2align 4
mx_stub_binder:
	pushq	%rbp
	movq	%rsp, %rbp
	pushq	%rdi
	pushq	%rsi
	pushq	%rdx
	pushq	%rcx
	pushq	%r8
	pushq	%r9
	pushq	%rax
	subq	$136, %rsp
	movdqu	%xmm0, 0(%rsp)
	movdqu	%xmm1, 16(%rsp)
	movdqu	%xmm2, 32(%rsp)
	movdqu	%xmm3, 48(%rsp)
	movdqu	%xmm4, 64(%rsp)
	movdqu	%xmm5, 80(%rsp)
	movdqu	%xmm6, 96(%rsp)
	movdqu	%xmm7, 112(%rsp)
	movq	8(%rbp), %rdi
	movq	16(%rbp), %rsi
	andq	$-16, %rsp
	call	mx_lazy_bind
	movq	%rax, %r11
	leaq	-192(%rbp), %rsp
	movdqu	0(%rsp), %xmm0
	movdqu	16(%rsp), %xmm1
	movdqu	32(%rsp), %xmm2
	movdqu	48(%rsp), %xmm3
	movdqu	64(%rsp), %xmm4
	movdqu	80(%rsp), %xmm5
	movdqu	96(%rsp), %xmm6
	movdqu	112(%rsp), %xmm7
	addq	$136, %rsp
	popq	%rax
	popq	%r9
	popq	%r8
	popq	%rcx
	popq	%rdx
	popq	%rsi
	popq	%rdi
	popq	%rbp
	addq	$16, %rsp
	jmpq	*%r11
	.size	mx_stub_binder, .-mx_stub_binder

/*
 * ___chkstk_darwin: size to probe in %rax; touch each page below the
 * caller's stack pointer down to %rsp-%rax.  Preserves every register.
 */
	.globl	mx_chkstk_darwin
	.type	mx_chkstk_darwin, @function
	.p2align 4
mx_chkstk_darwin:
	pushq	%rcx
	pushq	%rax
	leaq	24(%rsp), %rcx		/* caller's %rsp before its call */
3:
	cmpq	$0x1000, %rax
	jb	4f
	subq	$0x1000, %rcx
	testq	%rcx, (%rcx)
	subq	$0x1000, %rax
	jmp	3b
4:
	subq	%rax, %rcx
	testq	%rcx, (%rcx)
	popq	%rax
	popq	%rcx
	ret
	.size	mx_chkstk_darwin, .-mx_chkstk_darwin

/*
 * void mx_start_unixthread(void *entry, void *sp)  — never returns.
 * The kernel-style initial stack (argc, argv..., 0, envp..., 0, apple..., 0)
 * has been laid out at sp by the caller.
 */
	.globl	mx_start_unixthread
	.type	mx_start_unixthread, @function
	.p2align 4
mx_start_unixthread:
	movq	%rsi, %rsp
	movq	%rdi, %rax
	xorl	%ebp, %ebp
	xorl	%edi, %edi
	xorl	%esi, %esi
	xorl	%edx, %edx
	xorl	%ecx, %ecx
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	jmpq	*%rax
	.size	mx_start_unixthread, .-mx_start_unixthread

	.section .note.GNU-stack,"",@progbits
