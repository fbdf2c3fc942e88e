/**
 * SHA-256 (FIPS 180-4) through node:crypto's one-shot hash, the fastest path on Node 20, and
 * through @noble/hashes (lib/hashPure.ts) where node:crypto does not exist (a browser running
 * the SDK, which reaches this module through state/types/tx.ts).
 *
 * node:crypto is taken from `process.getBuiltinModule` (Node ≥ 20.16) rather than a static
 * `import`: a static import of a `node:` module breaks every browser bundle of the SDK (the
 * bundler stubs it out and the first hash throws), while this line is plain property access
 * that bundlers leave alone and browsers answer with `undefined`. The choice is made once at
 * load; `SHA256_BACKEND` says which (lib/hashBackend.test.ts holds the node to node:crypto).
 *
 * The digest is requested as a "binary" (latin1) string (one char per byte, a plain V8 string) and
 * copied into a 32-byte Uint8Array, which V8 allocates on its heap. Asking for a Buffer
 * instead allocates an external backing store per call: measured here at ~650–950 ns per
 * 65-byte hash against ~310 ns (into a reused buffer) or ~350 ns (fresh array) this way.
 * The store hashes ~50,000 times per commit and the book set-hash once per order change.
 */
import type * as NodeCrypto from "node:crypto";
import * as pure from "./hashPure.js";

const nodeCrypto = (
  globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }
).process?.getBuiltinModule?.("node:crypto") as typeof NodeCrypto | undefined;
/** One-shot `crypto.hash` (Node ≥ 20.12); `createHash` is the older streaming API. */
const nodeHash = typeof nodeCrypto?.hash === "function" ? nodeCrypto.hash : undefined;
const nodeCreateHash = nodeCrypto?.createHash;

/** Which implementation this process hashes with. */
export const SHA256_BACKEND: "node:crypto" | "noble" = nodeCreateHash ? "node:crypto" : "noble";

/** sha256(data) written into out[offset, offset + 32). */
export function sha256Into(data: Uint8Array, out: Uint8Array, offset = 0): void {
  if (nodeHash !== undefined) {
    const s = nodeHash("sha256", data, "binary");
    for (let i = 0; i < 32; i++) out[offset + i] = s.charCodeAt(i);
    return;
  }
  if (nodeCreateHash !== undefined) {
    out.set(nodeCreateHash("sha256").update(data).digest(), offset);
    return;
  }
  pure.sha256Into(data, out, offset);
}

export function sha256(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  sha256Into(data, out, 0);
  return out;
}

/** sha256 over the concatenation of several parts, without concatenating them first. */
export function sha256Parts(...parts: Uint8Array[]): Uint8Array {
  if (nodeCreateHash === undefined) return pure.sha256Parts(...parts);
  const h = nodeCreateHash("sha256");
  for (const p of parts) h.update(p);
  const b = h.digest();
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * sha256 of a transaction's bytes, computed once per byte array: a node hashes the same
 * transaction at each step it passes (pre-verification, checkTx, mempool, gossip, proposal,
 * data hash, commit, tx index), ~9 times for a 5 KB batch of orders. Keyed by the array
 * itself (a WeakMap, so it goes with the array), which is why the bytes must never change
 * once hashed: every transaction array in the node is received or built once and only read.
 * Returns a fresh copy of the digest.
 */
const hashOfBytes = new WeakMap<Uint8Array, Uint8Array>();

export function sha256OfImmutable(bytes: Uint8Array): Uint8Array {
  let h = hashOfBytes.get(bytes);
  if (h === undefined) {
    h = sha256(bytes);
    hashOfBytes.set(bytes, h);
  }
  return h.slice();
}
