/*
 * macho-exec-arm64-shims.h — the glibc functions an arm64 Mach-O program may
 * not call directly, as X-macros shared by macho-exec-arm64.S (which emits
 * one shim per entry) and macho-exec.c (which binds the names to the shims).
 *
 * Why: Apple's arm64 ABI ("Writing ARM64 code for Apple platforms") passes
 * every variadic argument on the stack, in 8-byte slots starting at the
 * caller's sp, and its va_list is a plain `char *` to such slots.  AAPCS64,
 * which glibc follows, passes variadic arguments in registers like named ones
 * and its va_list is a 32-byte struct { __stack, __gr_top, __vr_top,
 * __gr_offs, __vr_offs } passed by reference.  A glibc va_list whose
 * __gr_offs and __vr_offs are 0 reads every argument from __stack, in 8-byte
 * slots — exactly Apple's layout.  So each shim builds such a va_list and
 * calls the v-function:
 *
 *   MX_VARIADIC(name, nfixed, vtarget)
 *       name(fixed..., ...): the nfixed named arguments stay in x0..x(nfixed-1);
 *       __stack = the caller's sp; the va_list goes in x(nfixed); calls vtarget.
 *   MX_VALIST(name, apreg, vtarget)
 *       name(..., va_list ap) with Apple's char* ap in x(apreg): __stack = ap;
 *       the glibc va_list goes in x(apreg); calls vtarget.
 *   MX_STACKARGS(name, first, target)
 *       name(named..., ...) whose optional arguments are plain words (open's
 *       mode, fcntl's and ioctl's argument, syscall's six): loads the stack
 *       slots into x(first)..x7 and tail-calls target, whose va_arg finds
 *       them in registers as AAPCS64 expects.
 *
 * Names are glibc's (the Mach-O name minus its leading `_`, or the verbatim
 * asm-label name such as `__isoc99_sscanf`); targets starting with mx_ are
 * the loader's own C functions taking a glibc va_list.
 */

/* printf family */
MX_VARIADIC(printf, 1, vprintf)
MX_VARIADIC(fprintf, 2, vfprintf)
MX_VARIADIC(sprintf, 2, vsprintf)
MX_VARIADIC(snprintf, 3, vsnprintf)
MX_VARIADIC(dprintf, 2, vdprintf)
MX_VARIADIC(asprintf, 2, vasprintf)
MX_VARIADIC(obstack_printf, 2, obstack_vprintf)
MX_VARIADIC(wprintf, 1, vwprintf)
MX_VARIADIC(fwprintf, 2, vfwprintf)
MX_VARIADIC(swprintf, 3, vswprintf)
MX_VARIADIC(__printf_chk, 2, __vprintf_chk)
MX_VARIADIC(__fprintf_chk, 3, __vfprintf_chk)
MX_VARIADIC(__sprintf_chk, 4, __vsprintf_chk)
MX_VARIADIC(__snprintf_chk, 5, __vsnprintf_chk)
MX_VARIADIC(__dprintf_chk, 3, __vdprintf_chk)
MX_VARIADIC(__asprintf_chk, 3, __vasprintf_chk)
MX_VALIST(vprintf, 1, vprintf)
MX_VALIST(vfprintf, 2, vfprintf)
MX_VALIST(vsprintf, 2, vsprintf)
MX_VALIST(vsnprintf, 3, vsnprintf)
MX_VALIST(vdprintf, 2, vdprintf)
MX_VALIST(vasprintf, 2, vasprintf)
MX_VALIST(obstack_vprintf, 2, obstack_vprintf)
MX_VALIST(vwprintf, 1, vwprintf)
MX_VALIST(vfwprintf, 2, vfwprintf)
MX_VALIST(vswprintf, 3, vswprintf)
MX_VALIST(__vprintf_chk, 2, __vprintf_chk)
MX_VALIST(__vfprintf_chk, 3, __vfprintf_chk)
MX_VALIST(__vsprintf_chk, 4, __vsprintf_chk)
MX_VALIST(__vsnprintf_chk, 5, __vsnprintf_chk)
MX_VALIST(__vdprintf_chk, 3, __vdprintf_chk)
MX_VALIST(__vasprintf_chk, 3, __vasprintf_chk)

/* scanf family (glibc's headers name the C99 versions __isoc99_*) */
MX_VARIADIC(scanf, 1, __isoc99_vscanf)
MX_VARIADIC(fscanf, 2, __isoc99_vfscanf)
MX_VARIADIC(sscanf, 2, __isoc99_vsscanf)
MX_VARIADIC(__isoc99_scanf, 1, __isoc99_vscanf)
MX_VARIADIC(__isoc99_fscanf, 2, __isoc99_vfscanf)
MX_VARIADIC(__isoc99_sscanf, 2, __isoc99_vsscanf)
MX_VARIADIC(wscanf, 1, __isoc99_vwscanf)
MX_VARIADIC(fwscanf, 2, __isoc99_vfwscanf)
MX_VARIADIC(swscanf, 2, __isoc99_vswscanf)
MX_VARIADIC(__isoc99_wscanf, 1, __isoc99_vwscanf)
MX_VARIADIC(__isoc99_fwscanf, 2, __isoc99_vfwscanf)
MX_VARIADIC(__isoc99_swscanf, 2, __isoc99_vswscanf)
MX_VALIST(vscanf, 1, __isoc99_vscanf)
MX_VALIST(vfscanf, 2, __isoc99_vfscanf)
MX_VALIST(vsscanf, 2, __isoc99_vsscanf)
MX_VALIST(__isoc99_vscanf, 1, __isoc99_vscanf)
MX_VALIST(__isoc99_vfscanf, 2, __isoc99_vfscanf)
MX_VALIST(__isoc99_vsscanf, 2, __isoc99_vsscanf)
MX_VALIST(vwscanf, 1, __isoc99_vwscanf)
MX_VALIST(vfwscanf, 2, __isoc99_vfwscanf)
MX_VALIST(vswscanf, 2, __isoc99_vswscanf)

/* diagnostics */
MX_VARIADIC(syslog, 2, vsyslog)
MX_VARIADIC(__syslog_chk, 3, __vsyslog_chk)
MX_VARIADIC(err, 2, verr)
MX_VARIADIC(errx, 2, verrx)
MX_VARIADIC(warn, 1, vwarn)
MX_VARIADIC(warnx, 1, vwarnx)
MX_VARIADIC(error, 3, mx_verror)
MX_VARIADIC(error_at_line, 5, mx_verror_at_line)
MX_VALIST(vsyslog, 2, vsyslog)
MX_VALIST(__vsyslog_chk, 3, __vsyslog_chk)
MX_VALIST(verr, 2, verr)
MX_VALIST(verrx, 2, verrx)
MX_VALIST(vwarn, 1, vwarn)
MX_VALIST(vwarnx, 1, vwarnx)

/* execl family: the NULL-terminated argument list (and execle's envp) */
MX_VARIADIC(execl, 2, mx_vexecl)
MX_VARIADIC(execlp, 2, mx_vexeclp)
MX_VARIADIC(execle, 2, mx_vexecle)

/* one or a few optional word-sized arguments */
MX_STACKARGS(open, 2, open)
MX_STACKARGS(open64, 2, open64)
MX_STACKARGS(__open64, 2, open64)
MX_STACKARGS(openat, 3, openat)
MX_STACKARGS(openat64, 3, openat64)
MX_STACKARGS(fcntl, 2, fcntl)
MX_STACKARGS(fcntl64, 2, fcntl64)
MX_STACKARGS(ioctl, 2, ioctl)
MX_STACKARGS(sem_open, 2, sem_open)
MX_STACKARGS(mq_open, 2, mq_open)
MX_STACKARGS(semctl, 3, semctl)
MX_STACKARGS(mremap, 4, mremap)
MX_STACKARGS(ptrace, 1, ptrace)
MX_STACKARGS(prctl, 1, prctl)
MX_STACKARGS(ulimit, 1, ulimit)
MX_STACKARGS(syscall, 1, syscall)
