/**
 * The image's hashes in items over the link's worker threads: `LC_UUID`'s
 * (a SHA-256 per 4 MiB chunk of the image, then the SHA-256 of the chunk
 * digests, as lld hashes chunks in parallel for its UUID; the chunk size is
 * fixed, so the UUID does not depend on the thread count) and the code
 * signature's page hashes (one SHA-256 per 4 KiB page, items of 1024
 * pages, each written into its slot). Both read the finished image in
 * shared memory; without a pool, or outside shared memory, the main thread
 * runs every item (core's `runParallel`).
 */
import { createHash } from "node:crypto";
import { type LinkContext, type WorkerTask, runParallel } from "@tsld/core";
import { codePageHashes } from "@tsld/macho-format";

/** Bytes per `LC_UUID` chunk. */
const UUID_CHUNK = 4 << 20;
/** Pages per page-hash item. */
const PAGES_PER_ITEM = 1024;

interface UuidSetup {
  image: Uint8Array;
  /** 32 bytes per chunk. */
  digests: Uint8Array;
}

export const uuidTask: WorkerTask<UuidSetup> = {
  name: "uuidHash",
  prepare: (s) => s,
  run({ image, digests }, i) {
    const a = i * UUID_CHUNK;
    digests.set(
      createHash("sha256")
        .update(image.subarray(a, Math.min(a + UUID_CHUNK, image.length)))
        .digest(),
      i * 32,
    );
    return true;
  },
};

interface PageHashSetup {
  image: Uint8Array;
  codeLimit: number;
  pageSize: number;
  slotsOffset: number;
  pages: number;
}

export const pageHashTask: WorkerTask<PageHashSetup> = {
  name: "pageHash",
  prepare: (s) => s,
  run(s, i) {
    const first = i * PAGES_PER_ITEM;
    codePageHashes(s.image, s.codeLimit, s.pageSize, s.slotsOffset, first, Math.min(first + PAGES_PER_ITEM, s.pages));
    return true;
  },
};

const shared = (a: Uint8Array): boolean => a.buffer instanceof SharedArrayBuffer;

/** The 16 bytes of `LC_UUID` for `image` (its UUID field still zero): a version-3-style UUID from the chunked SHA-256. */
export function imageUuid(ctx: LinkContext, image: Uint8Array): Uint8Array {
  const chunks = Math.max(1, Math.ceil(image.length / UUID_CHUNK));
  const digests = new Uint8Array(shared(image) ? new SharedArrayBuffer(chunks * 32) : new ArrayBuffer(chunks * 32));
  const pool = shared(image) ? ctx.workers : undefined;
  runParallel(pool, ctx.timer, uuidTask, { image, digests }, chunks, (i) => uuidTask.run({ image, digests }, i));
  const u = createHash("sha256").update(digests).digest().subarray(0, 16);
  u[6] = (u[6]! & 0x0f) | 0x30;
  u[8] = (u[8]! & 0x3f) | 0x80;
  return u;
}

/** `CodeSignatureInput.hashPages` over the link's workers. */
export function hashPagesParallel(
  ctx: LinkContext,
  image: Uint8Array,
  codeLimit: number,
): (slotsOffset: number, pages: number, pageSize: number) => void {
  return (slotsOffset, pages, pageSize) => {
    const setup: PageHashSetup = { image, codeLimit, pageSize, slotsOffset, pages };
    const pool = shared(image) ? ctx.workers : undefined;
    const items = Math.ceil(pages / PAGES_PER_ITEM);
    runParallel(pool, ctx.timer, pageHashTask, setup, items, (i) => pageHashTask.run(setup, i));
  };
}
