/**
 * Input bytes: every reader in this package takes a `Uint8Array` (Node's
 * `Buffer` is one); the whole-file entry points (`parseMachO`,
 * `readMachHeader`, `readFatHeader`, `openMachO`, `fatSlices`) also take an
 * `ArrayBuffer` or any other `ArrayBufferView`, viewed without a copy.
 */

/** Bytes in any of the shapes JavaScript code holds them. */
export type BinaryInput = Uint8Array | ArrayBuffer | ArrayBufferView;

/** A `Uint8Array` over exactly the bytes of `input` (no copy). Throws `TypeError` for anything else. */
export function toBytes(input: BinaryInput): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (typeof SharedArrayBuffer !== "undefined" && (input as unknown) instanceof SharedArrayBuffer)
    return new Uint8Array(input as unknown as SharedArrayBuffer);
  throw new TypeError("expected a Uint8Array, Buffer, ArrayBuffer or ArrayBufferView");
}
