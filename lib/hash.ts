/** SHA-256 (FIPS 180-4) through node:crypto's one-shot hash, the fastest path on Node 20. */
import { createHash, hash } from "node:crypto";

const oneShot = typeof hash === "function";

export function sha256(data: Uint8Array): Uint8Array {
  if (oneShot) {
    const b = hash("sha256", data, "buffer") as unknown as Buffer;
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  const b = createHash("sha256").update(data).digest();
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** sha256 over the concatenation of several parts, without concatenating them first. */
export function sha256Parts(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  const b = h.digest();
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
