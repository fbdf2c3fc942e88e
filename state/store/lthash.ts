/**
 * The book set-hash: LtHash16 (Bellare–Micciancio's additive hash in the lattice form of
 * Lewi, Kim, Maykov and Weis, "Securing Update Propagation with Homomorphic Hashing",
 * 2019; the construction Solana adopted for its accounts hash, SIMD-0215).
 *
 * A multiset S hashes to Σ_{x∈S} E(x) in (Z/2^16)^1024, where E expands an element to
 * 1024 16-bit lanes. Adding or removing an element is one expansion and 1024 lane
 * additions or subtractions, whatever the size of the set; the sum does not depend on the
 * order of the changes, so a book's hash depends on its resting orders only.
 *
 * Expansion: E(x) = ChaCha20 keystream, 2048 bytes (blocks 0..31), key = sha256(x),
 * nonce = "perpetua/lth" (domain separation), read as little-endian u16 lanes. Bitcoin
 * Core's MuHash3072 expands its elements the same way (sha256, then ChaCha20). A
 * counter-mode sha256 expansion would need 64 sha256 calls per element (~65 µs here);
 * ChaCha20 in JavaScript needs ~6 µs (docs/state.md has the measurements).
 *
 * Security: with 1024 lanes of 16 bits, finding two different multisets with the same sum
 * is a short-integer-solution lattice problem that Lewi et al. estimate at ≥ 200 bits of
 * security when E behaves as a random oracle. Elements must be unique byte strings (the
 * state machine hashes each resting order's canonical encoding, which carries its id):
 * the hash is of a multiset, so removing an element never added yields a "negative"
 * multiplicity rather than an error.
 *
 * digest() = sha256 of the 2048 lane bytes (little-endian): 32 bytes for the market record.
 */
import { utf8 } from "../../lib/bytes.js";
import { sha256, sha256Into } from "../../lib/hash.js";
import { chacha20Block, wordsLE } from "./chacha20.js";

export const LTHASH_LANES = 1024;
export const LTHASH_BYTES = 2 * LTHASH_LANES;
const BLOCKS = LTHASH_BYTES / 64;

const NONCE = wordsLE(utf8("perpetua/lth"), new Uint32Array(3));
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// Scratch for the synchronous expansion: no allocation per add/remove beyond sha256's output.
const keyWords = new Uint32Array(8);
const keyBytes = new Uint8Array(32);
const block = new Uint32Array(16);

/** ChaCha20's "expand 32-byte k" (RFC 8439 section 2.3), for the inlined block function. */
const S0 = 0x61707865;
const S1 = 0x3320646e;
const S2 = 0x79622d32;
const S3 = 0x6b206574;

/**
 * mix() on a little-endian machine: the ChaCha20 block function of chacha20.ts inlined, each
 * keystream word added (or subtracted) straight into the two 16-bit lanes it covers, both
 * lanes at once (SWAR: the low 15 bits of each lane are added with no carry across lanes,
 * and bit 15 of each lane is fixed up by xor). Same lanes as the word-by-word loop below
 * (lthash.test.ts compares them on random adds and removes, and pins a vector).
 */
function mixLE(lanes32: Uint32Array, key: Uint32Array, sub: boolean): void {
  const k0 = key[0];
  const k1 = key[1];
  const k2 = key[2];
  const k3 = key[3];
  const k4 = key[4];
  const k5 = key[5];
  const k6 = key[6];
  const k7 = key[7];
  const n0 = NONCE[0];
  const n1 = NONCE[1];
  const n2 = NONCE[2];
  let t: number;
  let w: number;
  let a: number;
  for (let b = 0; b < BLOCKS; b++) {
    let x0 = S0;
    let x1 = S1;
    let x2 = S2;
    let x3 = S3;
    let x4 = k0;
    let x5 = k1;
    let x6 = k2;
    let x7 = k3;
    let x8 = k4;
    let x9 = k5;
    let x10 = k6;
    let x11 = k7;
    let x12 = b;
    let x13 = n0;
    let x14 = n1;
    let x15 = n2;
    for (let r = 0; r < 10; r++) {
      x0 = (x0 + x4) | 0;
      t = x12 ^ x0;
      x12 = (t << 16) | (t >>> 16);
      x8 = (x8 + x12) | 0;
      t = x4 ^ x8;
      x4 = (t << 12) | (t >>> 20);
      x0 = (x0 + x4) | 0;
      t = x12 ^ x0;
      x12 = (t << 8) | (t >>> 24);
      x8 = (x8 + x12) | 0;
      t = x4 ^ x8;
      x4 = (t << 7) | (t >>> 25);
      x1 = (x1 + x5) | 0;
      t = x13 ^ x1;
      x13 = (t << 16) | (t >>> 16);
      x9 = (x9 + x13) | 0;
      t = x5 ^ x9;
      x5 = (t << 12) | (t >>> 20);
      x1 = (x1 + x5) | 0;
      t = x13 ^ x1;
      x13 = (t << 8) | (t >>> 24);
      x9 = (x9 + x13) | 0;
      t = x5 ^ x9;
      x5 = (t << 7) | (t >>> 25);
      x2 = (x2 + x6) | 0;
      t = x14 ^ x2;
      x14 = (t << 16) | (t >>> 16);
      x10 = (x10 + x14) | 0;
      t = x6 ^ x10;
      x6 = (t << 12) | (t >>> 20);
      x2 = (x2 + x6) | 0;
      t = x14 ^ x2;
      x14 = (t << 8) | (t >>> 24);
      x10 = (x10 + x14) | 0;
      t = x6 ^ x10;
      x6 = (t << 7) | (t >>> 25);
      x3 = (x3 + x7) | 0;
      t = x15 ^ x3;
      x15 = (t << 16) | (t >>> 16);
      x11 = (x11 + x15) | 0;
      t = x7 ^ x11;
      x7 = (t << 12) | (t >>> 20);
      x3 = (x3 + x7) | 0;
      t = x15 ^ x3;
      x15 = (t << 8) | (t >>> 24);
      x11 = (x11 + x15) | 0;
      t = x7 ^ x11;
      x7 = (t << 7) | (t >>> 25);
      x0 = (x0 + x5) | 0;
      t = x15 ^ x0;
      x15 = (t << 16) | (t >>> 16);
      x10 = (x10 + x15) | 0;
      t = x5 ^ x10;
      x5 = (t << 12) | (t >>> 20);
      x0 = (x0 + x5) | 0;
      t = x15 ^ x0;
      x15 = (t << 8) | (t >>> 24);
      x10 = (x10 + x15) | 0;
      t = x5 ^ x10;
      x5 = (t << 7) | (t >>> 25);
      x1 = (x1 + x6) | 0;
      t = x12 ^ x1;
      x12 = (t << 16) | (t >>> 16);
      x11 = (x11 + x12) | 0;
      t = x6 ^ x11;
      x6 = (t << 12) | (t >>> 20);
      x1 = (x1 + x6) | 0;
      t = x12 ^ x1;
      x12 = (t << 8) | (t >>> 24);
      x11 = (x11 + x12) | 0;
      t = x6 ^ x11;
      x6 = (t << 7) | (t >>> 25);
      x2 = (x2 + x7) | 0;
      t = x13 ^ x2;
      x13 = (t << 16) | (t >>> 16);
      x8 = (x8 + x13) | 0;
      t = x7 ^ x8;
      x7 = (t << 12) | (t >>> 20);
      x2 = (x2 + x7) | 0;
      t = x13 ^ x2;
      x13 = (t << 8) | (t >>> 24);
      x8 = (x8 + x13) | 0;
      t = x7 ^ x8;
      x7 = (t << 7) | (t >>> 25);
      x3 = (x3 + x4) | 0;
      t = x14 ^ x3;
      x14 = (t << 16) | (t >>> 16);
      x9 = (x9 + x14) | 0;
      t = x4 ^ x9;
      x4 = (t << 12) | (t >>> 20);
      x3 = (x3 + x4) | 0;
      t = x14 ^ x3;
      x14 = (t << 8) | (t >>> 24);
      x9 = (x9 + x14) | 0;
      t = x4 ^ x9;
      x4 = (t << 7) | (t >>> 25);
    }
    const o = 16 * b;
    w = (x0 + S0) | 0;
    a = lanes32[o + 0];
    lanes32[o + 0] = sub
      ? ((a | 0x80008000) - (w & 0x7fff7fff)) ^ ((a ^ ~w) & 0x80008000)
      : ((a & 0x7fff7fff) + (w & 0x7fff7fff)) ^ ((a ^ w) & 0x80008000);
    w = (x1 + S1) | 0;
    a = lanes32[o + 1];
    lanes32[o + 1] = sub
      ? ((a | 0x80008000) - (w & 0x7fff7fff)) ^ ((a ^ ~w) & 0x80008000)
      : ((a & 0x7fff7fff) + (w & 0x7fff7fff)) ^ ((a ^ w) & 0x80008000);
    w = (x2 + S2) | 0;
    a = lanes32[o + 2];
    lanes32[o + 2] = sub
      ? ((a | 0x80008000) - (w & 0x7fff7fff)) ^ ((a ^ ~w) & 0x80008000)
      : ((a & 0x7fff7fff) + (w & 0x7fff7fff)) ^ ((a ^ w) & 0x80008000);
    w = (x3 + S3) | 0;
    a = lanes32[o + 3];
    lanes32[o + 3] = sub
      ? ((a | 0x80008000) - (w & 0x7fff7fff)) ^ ((a ^ ~w) & 0x80008000)
      : ((a & 0x7fff7fff) + (w & 0x7fff7fff)) ^ ((a ^ w) & 0x80008000);
    w = (x4 + k0) | 0;
    a = lanes32[o + 4];
    lanes32[o + 4] = sub
      ? ((a | 0x80008000) - (w & 0x7fff7fff)) ^ ((a ^ ~w) & 0x80008000)
      : ((a & 0x7fff7fff) + (w & 0x7fff7fff)) ^ ((a ^ w) & 0x80008000);
    w = (x5 + k1) | 0;
    a = lanes32[o + 5];
    lanes32[o + 5] = sub
      ? ((a | 0x80008000) - (w & 0x7fff7fff)) ^ ((a ^ ~w) & 0x80008000)
      : ((a & 0x7fff7fff) + (w & 0x7fff7fff)) ^ ((a ^ w) & 0x80008000);
    w = (x6 + k2) | 0;
    a = lanes32[o + 6];
    lanes32[o + 6] = sub
      ? ((a | 0x80008000) - (w & 0x7fff7fff)) ^ ((a ^ ~w) & 0x80008000)
      : ((a & 0x7fff7fff) + (w & 0x7fff7fff)) ^ ((a ^ w) & 0x80008000);
    w = (x7 + k3) | 0;
    a = lanes32[o + 7];
    lanes32[o + 7] = sub
      ? ((a | 0x80008000) - (w & 0x7fff7fff)) ^ ((a ^ ~w) & 0x80008000)
      : ((a & 0x7fff7fff) + (w & 0x7fff7fff)) ^ ((a ^ w) & 0x80008000);
    w = (x8 + k4) | 0;
    a = lanes32[o + 8];
    lanes32[o + 8] = sub
      ? ((a | 0x80008000) - (w & 0x7fff7fff)) ^ ((a ^ ~w) & 0x80008000)
      : ((a & 0x7fff7fff) + (w & 0x7fff7fff)) ^ ((a ^ w) & 0x80008000);
    w = (x9 + k5) | 0;
    a = lanes32[o + 9];
    lanes32[o + 9] = sub
      ? ((a | 0x80008000) - (w & 0x7fff7fff)) ^ ((a ^ ~w) & 0x80008000)
      : ((a & 0x7fff7fff) + (w & 0x7fff7fff)) ^ ((a ^ w) & 0x80008000);
    w = (x10 + k6) | 0;
    a = lanes32[o + 10];
    lanes32[o + 10] = sub
      ? ((a | 0x80008000) - (w & 0x7fff7fff)) ^ ((a ^ ~w) & 0x80008000)
      : ((a & 0x7fff7fff) + (w & 0x7fff7fff)) ^ ((a ^ w) & 0x80008000);
    w = (x11 + k7) | 0;
    a = lanes32[o + 11];
    lanes32[o + 11] = sub
      ? ((a | 0x80008000) - (w & 0x7fff7fff)) ^ ((a ^ ~w) & 0x80008000)
      : ((a & 0x7fff7fff) + (w & 0x7fff7fff)) ^ ((a ^ w) & 0x80008000);
    w = (x12 + b) | 0;
    a = lanes32[o + 12];
    lanes32[o + 12] = sub
      ? ((a | 0x80008000) - (w & 0x7fff7fff)) ^ ((a ^ ~w) & 0x80008000)
      : ((a & 0x7fff7fff) + (w & 0x7fff7fff)) ^ ((a ^ w) & 0x80008000);
    w = (x13 + n0) | 0;
    a = lanes32[o + 13];
    lanes32[o + 13] = sub
      ? ((a | 0x80008000) - (w & 0x7fff7fff)) ^ ((a ^ ~w) & 0x80008000)
      : ((a & 0x7fff7fff) + (w & 0x7fff7fff)) ^ ((a ^ w) & 0x80008000);
    w = (x14 + n1) | 0;
    a = lanes32[o + 14];
    lanes32[o + 14] = sub
      ? ((a | 0x80008000) - (w & 0x7fff7fff)) ^ ((a ^ ~w) & 0x80008000)
      : ((a & 0x7fff7fff) + (w & 0x7fff7fff)) ^ ((a ^ w) & 0x80008000);
    w = (x15 + n2) | 0;
    a = lanes32[o + 15];
    lanes32[o + 15] = sub
      ? ((a | 0x80008000) - (w & 0x7fff7fff)) ^ ((a ^ ~w) & 0x80008000)
      : ((a & 0x7fff7fff) + (w & 0x7fff7fff)) ^ ((a ^ w) & 0x80008000);
  }
}

/** Adds (sign 1) or subtracts (sign -1) E(element) into lanes. */
function mix(lanes: Uint16Array, lanes32: Uint32Array, element: Uint8Array, sign: 1 | -1): void {
  sha256Into(element, keyBytes, 0);
  wordsLE(keyBytes, keyWords);
  if (LITTLE_ENDIAN) {
    mixLE(lanes32, keyWords, sign === -1);
    return;
  }
  for (let b = 0; b < BLOCKS; b++) {
    chacha20Block(keyWords, b, NONCE, block);
    const base = 32 * b;
    // Uint16Array stores reduce mod 2^16: the lane arithmetic needs no masking.
    if (sign === 1) {
      for (let j = 0; j < 16; j++) {
        const w = block[j];
        lanes[base + 2 * j] += w & 0xffff;
        lanes[base + 2 * j + 1] += w >>> 16;
      }
    } else {
      for (let j = 0; j < 16; j++) {
        const w = block[j];
        lanes[base + 2 * j] -= w & 0xffff;
        lanes[base + 2 * j + 1] -= w >>> 16;
      }
    }
  }
}

export class LtHash {
  private readonly lanes: Uint16Array;
  /** The same lanes, two per word (little-endian machines: lane 2j is the low half). */
  private readonly lanes32: Uint32Array;

  /** The hash of the empty set (all lanes zero), or a copy of the given lanes. */
  constructor(lanes?: Uint16Array) {
    if (lanes !== undefined && lanes.length !== LTHASH_LANES) {
      throw new TypeError(`LtHash: expected ${LTHASH_LANES} lanes`);
    }
    this.lanes = lanes === undefined ? new Uint16Array(LTHASH_LANES) : lanes.slice();
    this.lanes32 = new Uint32Array(this.lanes.buffer, this.lanes.byteOffset, LTHASH_LANES / 2);
  }

  add(element: Uint8Array): this {
    mix(this.lanes, this.lanes32, element, 1);
    return this;
  }

  remove(element: Uint8Array): this {
    mix(this.lanes, this.lanes32, element, -1);
    return this;
  }

  /** Adds a whole set's hash: hash(S ∪ T) = hash(S) + hash(T) for disjoint multisets. */
  addHash(other: LtHash): this {
    for (let i = 0; i < LTHASH_LANES; i++) this.lanes[i] += other.lanes[i];
    return this;
  }

  /** Subtracts a set's hash, e.g. a block's removed orders accumulated separately. */
  removeHash(other: LtHash): this {
    for (let i = 0; i < LTHASH_LANES; i++) this.lanes[i] -= other.lanes[i];
    return this;
  }

  isEmptySet(): boolean {
    for (let i = 0; i < LTHASH_LANES; i++) if (this.lanes[i] !== 0) return false;
    return true;
  }

  equals(other: LtHash): boolean {
    for (let i = 0; i < LTHASH_LANES; i++) if (this.lanes[i] !== other.lanes[i]) return false;
    return true;
  }

  clone(): LtHash {
    return new LtHash(this.lanes);
  }

  /** sha256 over the lane bytes: what the market's state record commits to. */
  digest(): Uint8Array {
    return sha256(this.toBytes());
  }

  /** The 2048 lane bytes, little-endian: the form stored with a book snapshot. */
  toBytes(): Uint8Array {
    if (LITTLE_ENDIAN) return new Uint8Array(this.lanes.buffer.slice(0));
    const out = new Uint8Array(LTHASH_BYTES);
    for (let i = 0; i < LTHASH_LANES; i++) {
      out[2 * i] = this.lanes[i] & 0xff;
      out[2 * i + 1] = this.lanes[i] >>> 8;
    }
    return out;
  }

  static fromBytes(bytes: Uint8Array): LtHash {
    if (bytes.length !== LTHASH_BYTES)
      throw new TypeError(`LtHash: expected ${LTHASH_BYTES} bytes`);
    const lanes = new Uint16Array(LTHASH_LANES);
    for (let i = 0; i < LTHASH_LANES; i++) lanes[i] = bytes[2 * i] | (bytes[2 * i + 1] << 8);
    return new LtHash(lanes);
  }
}
