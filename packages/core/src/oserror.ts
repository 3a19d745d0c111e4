/**
 * OS errors in the OS's words. Node reports a failed `open` as
 * `ENOENT: no such file or directory, open 'x'`; a linker says what the C
 * library's `strerror` says (`No such file or directory`), after its own
 * description of what failed (`cannot write out/prog: …`), as ld64 and lld do.
 */
import { getSystemErrorMap } from "node:util";

/** glibc's strerror text for the errors file I/O meets (libuv's wording differs for a few). */
const STRERROR: Record<string, string> = {
  EACCES: "Permission denied",
  EBUSY: "Device or resource busy",
  EDQUOT: "Disk quota exceeded",
  EEXIST: "File exists",
  EFBIG: "File too large",
  EINVAL: "Invalid argument",
  EIO: "Input/output error",
  EISDIR: "Is a directory",
  ELOOP: "Too many levels of symbolic links",
  EMFILE: "Too many open files",
  ENAMETOOLONG: "File name too long",
  ENFILE: "Too many open files in system",
  ENOENT: "No such file or directory",
  ENOMEM: "Cannot allocate memory",
  ENOSPC: "No space left on device",
  ENOTDIR: "Not a directory",
  EPERM: "Operation not permitted",
  EROFS: "Read-only file system",
  ETXTBSY: "Text file busy",
  EXDEV: "Invalid cross-device link",
};

/**
 * The OS's description of a failed system call's error `e` (a Node
 * `ErrnoException`), e.g. `No such file or directory` for ENOENT. Errors
 * without an errno code give their message.
 */
export function osErrorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  // Node reports some errno errors under its own code (ERR_FS_EISDIR: writing a directory).
  const code = err?.code?.startsWith("ERR_FS_E") ? err.code.slice(7) : err?.code;
  if (code !== undefined) {
    const known = STRERROR[code];
    if (known) return known;
    if (typeof err.errno === "number") {
      const m = getSystemErrorMap().get(err.errno)?.[1];
      if (m) return m.charAt(0).toUpperCase() + m.slice(1);
    }
    return code;
  }
  return err instanceof Error ? err.message : String(e);
}
