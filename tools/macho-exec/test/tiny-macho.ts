/**
 * A hand-assembled x86_64 MH_EXECUTE, for loader paths that ld64.lld does not
 * produce (LC_UNIXTHREAD, non-PIE images, specific malformations).
 *
 * Layout (B = base): __TEXT [B, B+0x1000) with code at B+0x800 and a message
 * at B+0x900; __DATA [B+0x1000, B+0x2000) with slot0 (bound to _puts) and
 * slot1 (a rebased pointer to the message); __LINKEDIT with rebase/bind opcodes.
 * main: puts(*slot1) via *slot0, return 7.  The LC_UNIXTHREAD entry does
 * exit_group(argc) with a raw Linux syscall.
 */

export interface TinyOptions {
  base?: bigint;
  pie?: boolean;
  rebase?: boolean;
  unixThread?: boolean;
  /** replaces the bind opcode stream */
  bindOpcodes?: number[];
  /** overrides for the __text section's addr (to put it outside __TEXT) */
  textSectionAddr?: bigint;
  /** override __LINKEDIT filesize */
  linkeditFileSize?: bigint;
  /** override the bind_size recorded in LC_DYLD_INFO_ONLY */
  bindSize?: number;
}

export const TINY_MESSAGE = "hello from a hand-made image";

const MH_DYLDLINK = 0x4;
const MH_TWOLEVEL = 0x80;
const MH_PIE = 0x200000;

function name16(s: string): Buffer {
  const b = Buffer.alloc(16);
  b.write(s, "latin1");
  return b;
}

function segment(
  name: string,
  vmaddr: bigint,
  vmsize: bigint,
  fileoff: bigint,
  filesize: bigint,
  prot: number,
  sections: Buffer[],
): Buffer {
  const b = Buffer.alloc(72);
  b.writeUInt32LE(0x19, 0);
  b.writeUInt32LE(72 + 80 * sections.length, 4);
  name16(name).copy(b, 8);
  b.writeBigUInt64LE(vmaddr, 24);
  b.writeBigUInt64LE(vmsize, 32);
  b.writeBigUInt64LE(fileoff, 40);
  b.writeBigUInt64LE(filesize, 48);
  b.writeUInt32LE(prot, 56);
  b.writeUInt32LE(prot, 60);
  b.writeUInt32LE(sections.length, 64);
  return Buffer.concat([b, ...sections]);
}

function section(sect: string, seg: string, addr: bigint, size: bigint, offset: number, flags: number): Buffer {
  const b = Buffer.alloc(80);
  name16(sect).copy(b, 0);
  name16(seg).copy(b, 16);
  b.writeBigUInt64LE(addr, 32);
  b.writeBigUInt64LE(size, 40);
  b.writeUInt32LE(offset, 48);
  b.writeUInt32LE(flags, 64);
  return b;
}

export function tinyExecutable(opts: TinyOptions = {}): Buffer {
  const B = opts.base ?? 0x100000000n;
  const pie = opts.pie ?? true;
  const file = Buffer.alloc(0x2000);

  // code
  const code = Buffer.from([
    0x55, // push %rbp
    0x48,
    0x8b,
    0x3d,
    0,
    0,
    0,
    0, // mov slot1(%rip), %rdi   (@0x801, next 0x808)
    0xff,
    0x15,
    0,
    0,
    0,
    0, // call *slot0(%rip)          (@0x808, next 0x80e)
    0x5d, // pop %rbp
    0xb8,
    0x07,
    0,
    0,
    0, // mov $7, %eax
    0xc3, // ret
  ]);
  code.writeInt32LE(0x1008 - 0x808, 4);
  code.writeInt32LE(0x1000 - 0x80e, 10);
  code.copy(file, 0x800);
  const start = Buffer.from([
    0x48,
    0x8b,
    0x3c,
    0x24, // mov (%rsp), %rdi    argc
    0xb8,
    0xe7,
    0,
    0,
    0, // mov $231, %eax       exit_group
    0x0f,
    0x05, // syscall
  ]);
  start.copy(file, 0x820);
  file.write(`${TINY_MESSAGE}\0`, 0x900, "latin1");
  file.writeBigUInt64LE(B + 0x900n, 0x1008); // slot1 (rebased)

  // linkedit: rebase then bind opcodes
  const rebase = opts.rebase === false ? [] : [0x11, 0x22, 0x08, 0x51, 0x00]; // ptr; seg 2 off 8; 1 time; done
  const putsName = [..."_puts"].map((c) => c.charCodeAt(0));
  const bind = opts.bindOpcodes ?? [0x11, 0x40, ...putsName, 0, 0x51, 0x72, 0x00, 0x90, 0x00];
  const linkedit = Buffer.from([...rebase, ...bind, 0, 0, 0, 0, 0, 0, 0, 0]);
  const rebaseOff = 0x2000;
  const bindOff = 0x2000 + rebase.length;

  const cmds: Buffer[] = [];
  if (B >= 0x100000000n) cmds.push(segment("__PAGEZERO", 0n, B, 0n, 0n, 0, []));
  cmds.push(
    segment("__TEXT", B, 0x1000n, 0n, 0x1000n, 5, [
      section("__text", "__TEXT", opts.textSectionAddr ?? B + 0x800n, 0x40n, 0x800, 0x80000400),
      section("__cstring", "__TEXT", B + 0x900n, BigInt(TINY_MESSAGE.length + 1), 0x900, 0x2),
    ]),
  );
  cmds.push(
    segment("__DATA", B + 0x1000n, 0x1000n, 0x1000n, 0x1000n, 3, [
      section("__data", "__DATA", B + 0x1000n, 0x10n, 0x1000, 0),
    ]),
  );
  cmds.push(
    segment("__LINKEDIT", B + 0x2000n, 0x1000n, 0x2000n, opts.linkeditFileSize ?? BigInt(linkedit.length), 1, []),
  );
  const info = Buffer.alloc(48);
  info.writeUInt32LE(0x80000022, 0);
  info.writeUInt32LE(48, 4);
  info.writeUInt32LE(rebaseOff, 8);
  info.writeUInt32LE(rebase.length, 12);
  info.writeUInt32LE(bindOff, 16);
  info.writeUInt32LE(opts.bindSize ?? bind.length, 20);
  cmds.push(info);
  const libName = "/usr/lib/libSystem.B.dylib\0";
  const dylibSize = (24 + libName.length + 7) & ~7;
  const dylib = Buffer.alloc(dylibSize);
  dylib.writeUInt32LE(0xc, 0);
  dylib.writeUInt32LE(dylibSize, 4);
  dylib.writeUInt32LE(24, 8);
  dylib.write(libName, 24, "latin1");
  cmds.push(dylib);
  if (opts.unixThread) {
    const t = Buffer.alloc(16 + 42 * 8 - 8 * 21); // cmd, cmdsize, flavor, count, 42 uint32 words = 21 registers
    t.writeUInt32LE(0x5, 0);
    t.writeUInt32LE(t.length, 4);
    t.writeUInt32LE(4, 8); // x86_THREAD_STATE64
    t.writeUInt32LE(42, 12);
    t.writeBigUInt64LE(B + 0x820n, 16 + 16 * 8); // rip
    cmds.push(t);
  } else {
    const main = Buffer.alloc(24);
    main.writeUInt32LE(0x80000028, 0);
    main.writeUInt32LE(24, 4);
    main.writeBigUInt64LE(0x800n, 8);
    cmds.push(main);
  }
  const lc = Buffer.concat(cmds);
  if (32 + lc.length > 0x800) throw new Error("load commands too big");
  const hdr = Buffer.alloc(32);
  hdr.writeUInt32LE(0xfeedfacf, 0);
  hdr.writeUInt32LE(0x01000007, 4);
  hdr.writeUInt32LE(3, 8);
  hdr.writeUInt32LE(2, 12); // MH_EXECUTE
  hdr.writeUInt32LE(cmds.length, 16);
  hdr.writeUInt32LE(lc.length, 20);
  hdr.writeUInt32LE(MH_DYLDLINK | MH_TWOLEVEL | (pie ? MH_PIE : 0), 24);
  hdr.copy(file, 0);
  lc.copy(file, 32);
  return Buffer.concat([file, linkedit]);
}
