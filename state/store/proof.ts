/**
 * The hash rules of perpetua's state tree and the standalone proof verifier.
 *
 * Clients import this file alone (it depends on lib/ only) to check that a value, or the
 * absence of a key, is committed by an app hash.
 *
 * The tree is a 16-ary radix tree over keyHash = sha256(key), in the shape of Diem's
 * Jellyfish Merkle tree: a subtree holding one key is that key's leaf, placed at the
 * shallowest nibble position where it is alone; a subtree holding two or more keys is an
 * internal node. Empty subtrees are absent from their parent's bitmap and never hashed.
 * The shape is a function of the key set alone, so the root does not depend on the order
 * in which keys were written.
 *
 *   leafHash     = sha256(0x00 || keyHash || sha256(value))                    (65-byte input)
 *   internalHash = sha256(0x01 || bitmap (u16 big-endian, bit n = child n present)
 *                              || hash of each present child, in nibble order)
 *   emptyRoot    = 32 zero bytes (the root of the tree with no keys)
 *
 * The 0x00/0x01 prefixes separate the two node kinds, so no leaf can be passed off as an
 * internal node or the reverse. Unlike Jellyfish, an internal node hashes its (up to 16)
 * children in one sha256 call instead of a binary tree of 15 calls: on this machine a
 * sha256 call costs ~1 µs almost regardless of size up to 512 bytes, so this makes a
 * commit ~4× cheaper, at the price of proofs carrying up to 15 sibling hashes per level
 * (docs/state.md has the numbers).
 *
 * Proof of `key` against `root`: the internal nodes on the path of keyHash from the root
 * down, each as its bitmap and the hashes of its other children; the path ends at
 *   - the key's own leaf (inclusion: the verifier recomputes it from the claimed value),
 *   - an empty slot (non-inclusion: the bit of the next nibble is clear), or
 *   - another key's leaf whose keyHash shares the path so far (non-inclusion: that leaf
 *     holds the only key of this subtree); the proof then carries its keyHash and value hash.
 */

import { equalBytes } from "../../lib/bytes.js";
import { decode, encode } from "../../lib/cbor.js";
import { sha256 } from "../../lib/hash.js";

export const HASH_BYTES = 32;
/** Nibbles in a keyHash: the deepest possible node. */
export const MAX_DEPTH = 64;
export const EMPTY_ROOT: Uint8Array = new Uint8Array(HASH_BYTES);

const LEAF_TAG = 0x00;
const INTERNAL_TAG = 0x01;

// Scratch buffers: hashing is synchronous, so one buffer per shape serves every call.
const leafScratch = new Uint8Array(1 + 2 * HASH_BYTES);
const internalScratch = new Uint8Array(3 + 16 * HASH_BYTES);

export function keyHashOf(key: Uint8Array): Uint8Array {
  return sha256(key);
}

export function valueHashOf(value: Uint8Array): Uint8Array {
  return sha256(value);
}

/**
 * Copies 32 bytes. TypedArray.prototype.set costs ~100 ns per call on arrays this small
 * (a runtime call in V8); the loop is inlined and several times faster.
 */
export function copyHash(dst: Uint8Array, offset: number, src: Uint8Array): void {
  for (let i = 0; i < HASH_BYTES; i++) dst[offset + i] = src[i];
}

export function leafHash(keyHash: Uint8Array, valueHash: Uint8Array): Uint8Array {
  leafScratch[0] = LEAF_TAG;
  copyHash(leafScratch, 1, keyHash);
  copyHash(leafScratch, 1 + HASH_BYTES, valueHash);
  return sha256(leafScratch);
}

/** `children` are the hashes of the present children in nibble order (popcount(bitmap)). */
export function internalHash(bitmap: number, children: readonly Uint8Array[]): Uint8Array {
  internalScratch[0] = INTERNAL_TAG;
  internalScratch[1] = bitmap >>> 8;
  internalScratch[2] = bitmap & 0xff;
  let off = 3;
  for (const h of children) {
    copyHash(internalScratch, off, h);
    off += HASH_BYTES;
  }
  return sha256(internalScratch.subarray(0, off));
}

/** The nibble of a keyHash at a depth: high half of byte depth/2 first. */
export function nibbleAt(keyHash: Uint8Array, depth: number): number {
  const b = keyHash[depth >>> 1];
  return (depth & 1) === 0 ? b >>> 4 : b & 0x0f;
}

export function popcount16(x: number): number {
  let n = 0;
  while (x !== 0) {
    x &= x - 1;
    n++;
  }
  return n;
}

export interface ProofNode {
  /** Bit n set iff child n of this node is present, the path child included. */
  bitmap: number;
  /** Hashes of the present children other than the path child, in nibble order. */
  siblings: Uint8Array[];
}

export interface Proof {
  /** Internal nodes from the root down along the key's path. */
  path: ProofNode[];
  /** Non-inclusion only: the other key's leaf that occupies the key's slot. */
  leaf?: { keyHash: Uint8Array; valueHash: Uint8Array };
}

/**
 * Checks that `root` commits `key` to `value`, or (value undefined) that `key` is absent.
 * Never throws: a malformed proof is simply false.
 */
export function verifyProof(
  root: Uint8Array,
  key: Uint8Array,
  value: Uint8Array | undefined,
  proof: Proof,
): boolean {
  try {
    return verify(root, key, value, proof);
  } catch {
    return false;
  }
}

function isHash(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array && x.length === HASH_BYTES;
}

function verify(
  root: Uint8Array,
  key: Uint8Array,
  value: Uint8Array | undefined,
  proof: Proof,
): boolean {
  if (!isHash(root) || !Array.isArray(proof.path) || proof.path.length > MAX_DEPTH) return false;
  const kh = keyHashOf(key);
  const depth = proof.path.length;
  // The hash at the bottom of the path; undefined = the slot is empty.
  let h: Uint8Array | undefined;
  if (value !== undefined) {
    if (proof.leaf !== undefined) return false;
    h = leafHash(kh, valueHashOf(value));
  } else if (proof.leaf !== undefined) {
    const { keyHash, valueHash } = proof.leaf;
    if (!isHash(keyHash) || !isHash(valueHash) || equalBytes(keyHash, kh)) return false;
    // The other leaf must sit where our key would: same nibbles down to this depth.
    for (let i = 0; i < depth; i++) if (nibbleAt(keyHash, i) !== nibbleAt(kh, i)) return false;
    h = leafHash(keyHash, valueHash);
  }
  for (let d = depth - 1; d >= 0; d--) {
    const node = proof.path[d];
    const bitmap = node.bitmap;
    if (!Number.isInteger(bitmap) || bitmap <= 0 || bitmap > 0xffff) return false;
    if (!Array.isArray(node.siblings)) return false;
    const n = nibbleAt(kh, d);
    const present = (bitmap & (1 << n)) !== 0;
    // An empty slot is only possible at the bottom; above it the path child exists.
    if (present !== (h !== undefined)) return false;
    const count = popcount16(bitmap);
    if (node.siblings.length !== (present ? count - 1 : count)) return false;
    const children: Uint8Array[] = [];
    let s = 0;
    for (let c = 0; c < 16; c++) {
      if ((bitmap & (1 << c)) === 0) continue;
      if (c === n) children.push(h as Uint8Array);
      else {
        const sib = node.siblings[s++];
        if (!isHash(sib)) return false;
        children.push(sib);
      }
    }
    h = internalHash(bitmap, children);
  }
  return equalBytes(h ?? EMPTY_ROOT, root);
}

/**
 * Wire form for clients: canonical CBOR of
 * `[[bitmap, siblings concatenated], ...], leaf ? [keyHash, valueHash] : null]`.
 */
export function encodeProof(proof: Proof): Uint8Array {
  const path = proof.path.map((p) => {
    const sib = new Uint8Array(p.siblings.length * HASH_BYTES);
    for (let i = 0; i < p.siblings.length; i++) sib.set(p.siblings[i], i * HASH_BYTES);
    return [p.bitmap, sib];
  });
  const leaf = proof.leaf === undefined ? null : [proof.leaf.keyHash, proof.leaf.valueHash];
  return encode([path, leaf]);
}

/** Parses the wire form; throws (PerpetuaError from lib/cbor, or TypeError) if malformed. */
export function decodeProof(bytes: Uint8Array): Proof {
  const v = decode(bytes);
  if (!Array.isArray(v) || v.length !== 2 || !Array.isArray(v[0])) {
    throw new TypeError("proof: expected [path, leaf]");
  }
  if (v[0].length > MAX_DEPTH) throw new TypeError("proof: path too long");
  const path: ProofNode[] = v[0].map((p: unknown) => {
    if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== "number") {
      throw new TypeError("proof: expected [bitmap, siblings]");
    }
    const sib = p[1];
    if (!(sib instanceof Uint8Array) || sib.length % HASH_BYTES !== 0) {
      throw new TypeError("proof: siblings must be 32-byte hashes");
    }
    const siblings: Uint8Array[] = [];
    for (let o = 0; o < sib.length; o += HASH_BYTES) siblings.push(sib.slice(o, o + HASH_BYTES));
    return { bitmap: p[0], siblings };
  });
  const l = v[1];
  if (l === null) return { path };
  if (!Array.isArray(l) || l.length !== 2 || !isHash(l[0]) || !isHash(l[1])) {
    throw new TypeError("proof: expected leaf [keyHash, valueHash]");
  }
  return { path, leaf: { keyHash: l[0], valueHash: l[1] } };
}
