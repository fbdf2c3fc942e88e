/**
 * The tree's nodes in memory, as struct-of-arrays pools indexed by integer ids.
 *
 * A million-key tree held as JavaScript objects (a node object plus three small typed
 * arrays per leaf) costs ~800 bytes and four heap objects per key, and the collector's
 * work grows with them: measured, commits got 3× slower from 100k to 1M keys. Here a node
 * is an index into a few large typed arrays; the heap holds a handful of objects whatever
 * the tree size, and a node costs 96 bytes, leaf or internal.
 *
 * A reference to a node (`Ref`) is 0 for an empty subtree, a positive internal-node id, or
 * the negated id of a leaf. An internal node whose 16 children are all empty is a stub: its
 * hash is known (its parent's record holds it) but its content is still in the KvStore. (A
 * loaded internal node has at least two children, and the test reads the cache line the
 * tree reads next anyway, where a separate flag array was one more cache miss per node.)
 * Leaves are never stubs: they are stored inside their parent's record and loaded with it.
 */
import { HASH_BYTES } from "./proof.js";

export type Ref = number;

export const EMPTY_REF: Ref = 0;

/** Bytes per leaf in NodePool.leafData: hash, keyHash, valueHash. */
export const LEAF_STRIDE = 3 * HASH_BYTES;

/** Offset of leaf `id`'s hash in leafHash (= leafData). */
export function leafHashOffset(id: number): number {
  return LEAF_STRIDE * id;
}

/** Offset of leaf `id`'s keyHash || valueHash in leafData. */
export function leafDataOffset(id: number): number {
  return LEAF_STRIDE * id + HASH_BYTES;
}

export class NodePool {
  /** 16 child refs per internal node. */
  children: Int32Array;
  internalHash: Uint8Array;
  /**
   * Leaves, LEAF_STRIDE bytes each: hash || keyHash || valueHash. One array under two names
   * (offsets leafHashOffset / leafDataOffset): a parent's record needs both the hash and the
   * data of each leaf child, and together they are two adjacent cache lines rather than
   * two random ones (a commit into a large tree is bound by these memory reads).
   */
  leafData: Uint8Array;
  leafHash: Uint8Array;
  /** Word views of the hash and leaf arrays, for copying 4 bytes at a time. */
  internalHash32: Int32Array;
  leafHash32: Int32Array;
  leafData32: Int32Array;
  private internalFree: number[] = [];
  private internalNext = 1;
  private internalCapacity: number;
  private leafFree: number[] = [];
  private leafNext = 1;
  private leafCapacity: number;

  constructor(capacity = 1024) {
    this.children = new Int32Array(16 * capacity);
    this.internalHash = new Uint8Array(HASH_BYTES * capacity);
    this.internalCapacity = capacity;
    this.leafData = new Uint8Array(LEAF_STRIDE * capacity);
    this.leafHash = this.leafData;
    this.leafCapacity = capacity;
    this.internalHash32 = new Int32Array(this.internalHash.buffer);
    this.leafData32 = new Int32Array(this.leafData.buffer);
    this.leafHash32 = this.leafData32;
  }

  /** Live nodes (for tests and metrics). */
  get internalCount(): number {
    return this.internalNext - 1 - this.internalFree.length;
  }

  get leafCount(): number {
    return this.leafNext - 1 - this.leafFree.length;
  }

  /**
   * A new internal node id; the caller fills its hash and either all 16 children or, for a
   * stub, zeroes them (markStub).
   */
  allocInternal(): number {
    let id = this.internalFree.pop();
    if (id === undefined) {
      id = this.internalNext++;
      if (id >= this.internalCapacity) this.growInternal();
    }
    return id;
  }

  /** A new leaf id; the caller fills data and hash. */
  allocLeaf(): number {
    let id = this.leafFree.pop();
    if (id === undefined) {
      id = this.leafNext++;
      if (id >= this.leafCapacity) this.growLeaves();
    }
    return id;
  }

  /** Makes internal node `id` a stub: no children until its record is loaded. */
  markStub(id: number): void {
    this.children.fill(EMPTY_REF, 16 * id, 16 * id + 16);
  }

  free(ref: Ref): void {
    if (ref > 0) this.internalFree.push(ref);
    else if (ref < 0) this.leafFree.push(-ref);
  }

  isLoaded(ref: Ref): boolean {
    if (ref <= 0) return true;
    const c = this.children;
    const o = 16 * ref;
    for (let n = 0; n < 16; n++) if (c[o + n] !== EMPTY_REF) return true;
    return false;
  }

  /** A copy of a node's hash. */
  hashOf(ref: Ref): Uint8Array {
    const src = ref > 0 ? this.internalHash : this.leafHash;
    const o = ref > 0 ? HASH_BYTES * ref : leafHashOffset(-ref);
    return src.slice(o, o + HASH_BYTES);
  }

  private growInternal(): void {
    const cap = 2 * this.internalCapacity;
    this.children = grow(this.children, 16 * cap);
    this.internalHash = grow(this.internalHash, HASH_BYTES * cap);
    this.internalCapacity = cap;
    this.internalHash32 = new Int32Array(this.internalHash.buffer);
  }

  private growLeaves(): void {
    const cap = 2 * this.leafCapacity;
    this.leafData = grow(this.leafData, LEAF_STRIDE * cap);
    this.leafHash = this.leafData;
    this.leafCapacity = cap;
    this.leafData32 = new Int32Array(this.leafData.buffer);
    this.leafHash32 = this.leafData32;
  }
}

function grow<T extends Uint8Array | Int32Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}
