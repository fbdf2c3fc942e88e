/**
 * SHA-256 (FIPS 180-4) in pure JavaScript (@noble/hashes): the same three functions as
 * lib/hash.ts, for environments without node:crypto (browsers running the SDK). lib/hash.ts
 * falls back to these when it cannot reach node:crypto; the node itself never uses them.
 */
import { sha256 as noble } from "@noble/hashes/sha2.js";

/** sha256(data) written into out[offset, offset + 32). */
export function sha256Into(data: Uint8Array, out: Uint8Array, offset = 0): void {
  out.set(noble(data), offset);
}

export function sha256(data: Uint8Array): Uint8Array {
  return noble(data);
}

/** sha256 over the concatenation of several parts, without concatenating them first. */
export function sha256Parts(...parts: Uint8Array[]): Uint8Array {
  const h = noble.create();
  for (const p of parts) h.update(p);
  return h.digest();
}
