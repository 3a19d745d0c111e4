/**
 * Errors raised while reading or decoding Mach-O structures.
 *
 * Every reader in this package throws `MachOFormatError` for malformed input
 * (bad magic, truncated load commands, overlong LEB128, cyclic export tries,
 * out-of-range opcodes, ...). `offset`, when known, is the byte offset in the
 * buffer being decoded where the problem was detected, so tools can print
 * "file.o+0x1a0: ..."; the message itself is kept exactly as given.
 * Programming errors on the writing side (for example a negative value passed
 * to an unsigned encoder) raise `RangeError` instead.
 */
export class MachOFormatError extends Error {
  readonly offset?: number;

  constructor(message: string, offset?: number) {
    super(message);
    this.name = "MachOFormatError";
    if (offset !== undefined) this.offset = offset;
  }
}
