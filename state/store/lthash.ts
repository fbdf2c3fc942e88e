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
import { sha256 } from "../../lib/hash.js";
import { chacha20Block, wordsLE } from "./chacha20.js";

export const LTHASH_LANES = 1024;
export const LTHASH_BYTES = 2 * LTHASH_LANES;
const BLOCKS = LTHASH_BYTES / 64;

const NONCE = wordsLE(utf8("perpetua/lth"), new Uint32Array(3));
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// Scratch for the synchronous expansion: no allocation per add/remove beyond sha256's output.
const keyWords = new Uint32Array(8);
const block = new Uint32Array(16);

/** Adds (sign 1) or subtracts (sign -1) E(element) into lanes. */
function mix(lanes: Uint16Array, element: Uint8Array, sign: 1 | -1): void {
  wordsLE(sha256(element), keyWords);
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

  /** The hash of the empty set (all lanes zero), or a copy of the given lanes. */
  constructor(lanes?: Uint16Array) {
    if (lanes !== undefined && lanes.length !== LTHASH_LANES) {
      throw new TypeError(`LtHash: expected ${LTHASH_LANES} lanes`);
    }
    this.lanes = lanes === undefined ? new Uint16Array(LTHASH_LANES) : lanes.slice();
  }

  add(element: Uint8Array): this {
    mix(this.lanes, element, 1);
    return this;
  }

  remove(element: Uint8Array): this {
    mix(this.lanes, element, -1);
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
