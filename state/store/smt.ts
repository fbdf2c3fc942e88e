/**
 * The authenticated map behind the app hash: a 16-ary Merkle radix tree over
 * keyHash = sha256(key), with the hashing rules of proof.ts.
 *
 * Updates come in batches, one per commit: the dirty keys sorted by keyHash, so that the
 * keys of every subtree form one contiguous run. One recursive pass rebuilds only the
 * subtrees that hold dirty keys, hashing each touched node exactly once, so a commit of k
 * keys into n costs about 3k + k·(log16(n) − log16(k)) + k/15 hashes (docs/state.md).
 *
 * The tree is functional: a batch builds new nodes and shares untouched subtrees with the
 * committed tree, so until `adopt` the committed tree (and its proofs) are unchanged, and a
 * failed write of the batch loses nothing (`discard` frees the new nodes). Nodes live in a
 * NodePool (nodePool.ts), not as JavaScript objects.
 *
 * Storage keeps the latest version only. An internal node is stored under its position
 * (`prefix || depth || nibble path`), so a commit overwrites the nodes it changed and
 * deletes those that vanished; leaves are stored inside their parent's record (they have
 * no record of their own, so moving a leaf up or down writes nothing extra, and a million
 * keys make ~360k records, not 1.36M). Encodings:
 *   internal: 0x01 || bitmap (u16 BE) || leafMask (u16 BE)
 *                  || hash of each internal child, in nibble order
 *                  || keyHash || valueHash of each leaf child, in nibble order
 *   root leaf (a tree of one key, at depth 0 only): 0x00 || keyHash || valueHash
 * A leaf child's hash is not stored: it is sha256(0x00 || keyHash || valueHash), recomputed
 * when the record is loaded (a third of a bottom record's bytes saved on every commit).
 * Internal nodes are loaded lazily; a loaded record is checked against the hash its parent
 * recorded, which covers every byte of it, leaves included.
 */
import { equalBytes } from "../../lib/bytes.js";
import { InvariantError } from "../../lib/errors.js";
import { sha256, sha256Into } from "../../lib/hash.js";
import type { PackedPuts } from "./kv.js";
import {
  EMPTY_REF,
  LEAF_STRIDE,
  leafDataOffset,
  leafHashOffset,
  NodePool,
  type Ref,
} from "./nodePool.js";
import {
  EMPTY_ROOT,
  HASH_BYTES,
  nibbleAt,
  type Proof,
  type ProofNode,
  popcount16,
} from "./proof.js";

/** The read side of the KvStore, all the tree needs to load nodes. */
export interface NodeReader {
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
}

/** One dirty key: its new value hash, or undefined to delete it. */
export interface TreeOp {
  keyHash: Uint8Array;
  valueHash: Uint8Array | undefined;
}

/**
 * A batch as flat arrays (no object per key): op i's keyHash is hashes[64 i, 64 i + 32) and
 * its new valueHash hashes[64 i + 32, 64 i + 64), ignored when deletes[i] is 1. Sorted by
 * keyHash, no duplicates.
 */
export interface TreeBatch {
  readonly count: number;
  readonly hashes: Uint8Array;
  readonly deletes: Uint8Array;
}

/** The flat form of a TreeOp list. */
export function batchOf(ops: readonly TreeOp[]): TreeBatch {
  const hashes = new Uint8Array(64 * ops.length);
  const deletes = new Uint8Array(ops.length);
  ops.forEach((op, i) => {
    hashes.set(op.keyHash, 64 * i);
    if (op.valueHash === undefined) deletes[i] = 1;
    else hashes.set(op.valueHash, 64 * i + 32);
  });
  return { count: ops.length, hashes, deletes };
}

const OP = 64;

/** A batch applied in memory but not yet adopted: the node writes to persist with it. */
export interface PreparedUpdate {
  /** The buffers the records and keys were cut from (recycled once written, if allowed). */
  readonly buffers: Uint8Array[];
  /** The new node records, as ranges of `buffers` (kv.ts PackedPuts). */
  readonly packed: PackedPuts;
  readonly base: Ref;
  readonly root: Ref;
  readonly rootHash: Uint8Array;
  readonly dels: Uint8Array[];
  readonly created: Ref[];
  readonly replaced: Ref[];
}

interface Missing {
  ref: Ref;
  key: Uint8Array;
}

/**
 * The writes of one pass, in recursion order. A position is put at most once; it may be
 * put and then deleted (a changed child that its parent then pulls up), never deleted and
 * then put, so "deletes after puts" (the KvStore batch rule) gives the final state.
 */
interface Pass {
  dels: Uint8Array[];
  created: Ref[];
  replaced: Ref[];
  missing: Missing[];
  chunk: Uint8Array;
  chunk32: Int32Array;
  chunkOff: number;
  /** Offset in `chunk` of the last reserved record. */
  start: number;
  /** Storage keys of the pass's writes, cut from shared buffers like the records. */
  keyChunk: Uint8Array;
  keyOff: number;
  /** Every buffer taken for this pass; `chunk` and `keyChunk` are buffers[chunkIdx|keyIdx]. */
  buffers: Uint8Array[];
  chunkIdx: number;
  keyIdx: number;
  /** Node records written: six numbers each (kv.ts PackedPuts), `records` of them. */
  packed: Int32Array;
  records: number;
}

const LEAF_BYTES = 1 + 2 * HASH_BYTES;
/** An internal record's header: tag, bitmap (u16 BE), leafMask (u16 BE). */
const RECORD_HEADER = 5;
const CHUNK_BYTES = 1 << 18;
/** Spare buffers kept for reuse: 16 MiB, about what a 10^4-key commit cuts. */
const MAX_SPARE_BUFFERS = 64;
const LEAF_TAG = 0x00;
const INTERNAL_TAG = 0x01;

function corrupt(message: string): never {
  throw new InvariantError("state_tree_node", message);
}

export class SparseMerkleTree {
  private readonly pool = new NodePool();
  private root: Ref = EMPTY_REF;
  /** False while every node is in memory (a tree built here): no stub to look for. */
  private mayHaveStubs = false;
  /** Child refs of the node being rebuilt at each depth (recursion uses one row per depth). */
  private readonly rows = new Int32Array(16 * 66);
  /**
   * A leaf's hash preimage (`leafPre`: tag ‖ keyHash ‖ valueHash) in a buffer where the
   * hashes start word-aligned, at byte 4.
   */
  private readonly leafPreBuffer = new Uint8Array(4 + 2 * HASH_BYTES);
  private readonly leafPre32 = new Int32Array(this.leafPreBuffer.buffer);
  private readonly leafPre = this.leafPreBuffer.subarray(3);
  /**
   * preimages[c]: a view of the scratch buffer holding the header (at byte 1) and c child
   * hashes (from byte 4, word-aligned) of an internal node with c children.
   */
  private readonly preimageBuffer = new Uint8Array(4 + 16 * HASH_BYTES);
  private readonly preimage32 = new Int32Array(this.preimageBuffer.buffer);
  private readonly preimages = Array.from({ length: 17 }, (_, c) =>
    this.preimageBuffer.subarray(1, 4 + c * HASH_BYTES),
  );

  private constructor(
    private readonly kv: NodeReader,
    private readonly prefix: Uint8Array,
  ) {}

  static empty(kv: NodeReader, prefix: Uint8Array): SparseMerkleTree {
    return new SparseMerkleTree(kv, prefix);
  }

  /** Reopens the tree whose root hash was committed; loads only the root node. */
  static async open(
    kv: NodeReader,
    prefix: Uint8Array,
    rootHash: Uint8Array,
  ): Promise<SparseMerkleTree> {
    const tree = new SparseMerkleTree(kv, prefix);
    if (equalBytes(rootHash, EMPTY_ROOT)) return tree;
    tree.mayHaveStubs = true;
    const key = tree.nodeKey(EMPTY_ROOT, 0, 0);
    const bytes = await kv.get(key);
    if (bytes === undefined) corrupt("the root node is missing");
    const pool = tree.pool;
    const ref = bytes[0] === LEAF_TAG ? -pool.allocLeaf() : pool.allocInternal();
    const hashes = ref > 0 ? pool.internalHash : pool.leafHash;
    const o = ref > 0 ? HASH_BYTES * ref : leafHashOffset(-ref);
    for (let i = 0; i < HASH_BYTES; i++) hashes[o + i] = rootHash[i];
    if (ref > 0) pool.markStub(ref);
    tree.decodeInto(ref, bytes);
    tree.root = ref;
    return tree;
  }

  rootHash(): Uint8Array {
    return this.root === EMPTY_REF ? EMPTY_ROOT : this.pool.hashOf(this.root);
  }

  /** Live nodes in memory (tests, metrics). */
  nodeCounts(): { internal: number; leaves: number } {
    return { internal: this.pool.internalCount, leaves: this.pool.leafCount };
  }

  /**
   * Applies `ops` (sorted by keyHash, no duplicates) to a new version of the tree, loading
   * the nodes it needs, without changing the committed one.
   */
  prepare(ops: readonly TreeOp[] | TreeBatch): Promise<PreparedUpdate> {
    return this.prepareBatch("count" in ops ? ops : batchOf(ops));
  }

  /**
   * The leaves of the subtree being rebuilt by updLeaf or a new subtree, as a stack of refs
   * (one buffer for every commit, not an array per leaf visited); build reads a range of it.
   */
  private entries = new Int32Array(1024);
  private entriesTop = 0;

  /** A word view of the hashes of the batch being applied. */
  private batch32: Int32Array = new Int32Array(0);

  private async prepareBatch(ops: TreeBatch): Promise<PreparedUpdate> {
    // New leaves are copied out of the batch by words: a batch not starting word-aligned
    // (never one of the store's) is copied once into one that does.
    if ((ops.hashes.byteOffset & 3) !== 0) ops = { ...ops, hashes: ops.hashes.slice() };
    const h = ops.hashes;
    this.batch32 = new Int32Array(h.buffer, h.byteOffset, h.length >>> 2);
    for (let i = 1; i < ops.count; i++) {
      if (compareRange(h, OP * (i - 1), h, OP * i) >= 0) {
        throw new InvariantError("state_tree_batch", "ops must be sorted by keyHash, unique");
      }
    }
    const base = this.root;
    // Load every stored node on the dirty paths first, level by level in parallel.
    while (this.mayHaveStubs) {
      const stubs: Missing[] = [];
      this.collectStubs(this.root, 0, ops, 0, ops.count, stubs);
      if (stubs.length === 0) break;
      await this.loadAll(stubs);
    }
    // A pass may still meet a stub where a deletion pulls a sibling leaf up; load and redo.
    for (;;) {
      const pass: Pass = {
        dels: [],
        created: [],
        replaced: [],
        missing: [],
        chunk: new Uint8Array(0),
        chunk32: new Int32Array(0),
        chunkOff: 0,
        start: 0,
        keyChunk: new Uint8Array(0),
        keyOff: 0,
        buffers: [],
        chunkIdx: -1,
        keyIdx: -1,
        packed: this.spareIndex.pop() ?? new Int32Array(6 * 4096),
        records: 0,
      };
      this.entriesTop = 0;
      const root = ops.count === 0 ? base : this.upd(base, 0, ops, 0, ops.count, pass);
      if (pass.missing.length > 0) {
        this.freeAll(pass.created);
        this.recycle(pass.buffers, pass.packed);
        await this.loadAll(pass.missing);
        continue;
      }
      return {
        buffers: pass.buffers,
        packed: {
          buffers: pass.buffers,
          index: pass.packed,
          count: pass.records,
        },
        base,
        root,
        rootHash: root === EMPTY_REF ? EMPTY_ROOT : this.pool.hashOf(root),
        dels: pass.dels,
        created: pass.created,
        replaced: pass.replaced,
      };
    }
  }

  /** Makes a prepared version the committed one, once its writes are durable. */
  adopt(update: PreparedUpdate): void {
    if (update.base !== this.root) {
      throw new InvariantError("state_tree_batch", "adopting an update prepared on another root");
    }
    this.root = update.root;
    this.freeAll(update.replaced);
    this.recycle(update.buffers, update.packed.index);
  }

  /**
   * Set by the store when its KvStore copies what it writes (`copiesWrites`): the record and
   * key buffers of an adopted or discarded update are then reused by the next pass instead
   * of allocating ~10 MB of fresh buffers per 10^4-key commit.
   */
  reuseBuffers = false;
  private readonly spare: Uint8Array[] = [];
  private readonly spareIndex: Int32Array[] = [];

  private recycle(buffers: Uint8Array[], index: Int32Array): void {
    if (!this.reuseBuffers) return;
    for (const b of buffers) if (this.spare.length < MAX_SPARE_BUFFERS) this.spare.push(b);
    if (this.spareIndex.length === 0) this.spareIndex.push(index);
  }

  private takeBuffer(pass: Pass): Uint8Array {
    const b = this.spare.pop() ?? new Uint8Array(CHUNK_BYTES);
    pass.buffers.push(b);
    return b;
  }

  /**
   * Frees nodes: an indexed loop, as adopt runs once per commit and is never optimised, and
   * a for-of there allocates an iterator result for each of ~30,000 refs.
   */
  private freeAll(refs: readonly Ref[]): void {
    for (let i = 0; i < refs.length; i++) this.pool.free(refs[i]);
  }

  /** Forgets a prepared version whose writes failed. */
  discard(update: PreparedUpdate): void {
    this.freeAll(update.created);
    this.recycle(update.buffers, update.packed.index);
  }

  /**
   * The proof for keyHash against the committed root. `found` tells whether the key is
   * present (its value is then the one the caller must pair with the proof).
   */
  async prove(keyHash: Uint8Array): Promise<{ proof: Proof; found: boolean }> {
    const path: ProofNode[] = [];
    const pool = this.pool;
    let ref = this.root;
    for (let depth = 0; ; ) {
      if (ref === EMPTY_REF) return { proof: { path }, found: false };
      if (!pool.isLoaded(ref)) {
        await this.loadAll([{ ref, key: this.nodeKey(keyHash, 0, depth) }]);
        continue;
      }
      if (ref < 0) {
        const o = leafDataOffset(-ref);
        const kh = pool.leafData.slice(o, o + HASH_BYTES);
        if (equalBytes(kh, keyHash)) return { proof: { path }, found: true };
        const valueHash = pool.leafData.slice(o + HASH_BYTES, o + 2 * HASH_BYTES);
        return { proof: { path, leaf: { keyHash: kh, valueHash } }, found: false };
      }
      const n = nibbleAt(keyHash, depth);
      let bitmap = 0;
      const siblings: Uint8Array[] = [];
      for (let c = 0; c < 16; c++) {
        const child = pool.children[16 * ref + c];
        if (child === EMPTY_REF) continue;
        bitmap |= 1 << c;
        if (c !== n) siblings.push(pool.hashOf(child));
      }
      path.push({ bitmap, siblings });
      ref = pool.children[16 * ref + n];
      depth++;
    }
  }

  // ---- storage keys ----

  /** prefix || depth || the first `depth` nibbles of bytes[off..] (odd tail nibble zeroed). */
  /**
   * The storage key of a node written in `pass`, cut from the pass's key buffer, as a number:
   * (buffer index · 2^18 + offset) · 64 + length (see keyView and the packed puts).
   */
  private keyRef(bytes: Uint8Array, off: number, depth: number, pass: Pass): number {
    const size = this.prefix.length + 1 + ((depth + 1) >>> 1);
    if (pass.keyOff + size > pass.keyChunk.length) {
      pass.keyChunk = this.takeBuffer(pass);
      pass.keyIdx = pass.buffers.length - 1;
      pass.keyOff = 0;
    }
    const at = pass.keyOff;
    this.writeNodeKey(pass.keyChunk, at, bytes, off, depth);
    pass.keyOff += size;
    return (pass.keyIdx * CHUNK_BYTES + at) * 64 + size;
  }

  /** A view of a key made by keyRef (for the few deletions). */
  private keyView(pass: Pass, ref: number): Uint8Array {
    const size = ref % 64;
    const pos = (ref - size) / 64;
    const at = pos % CHUNK_BYTES;
    return pass.buffers[(pos - at) / CHUNK_BYTES].subarray(at, at + size);
  }

  private nodeKey(bytes: Uint8Array, off: number, depth: number): Uint8Array {
    const out = new Uint8Array(this.prefix.length + 1 + ((depth + 1) >>> 1));
    this.writeNodeKey(out, 0, bytes, off, depth);
    return out;
  }

  private writeNodeKey(
    to: Uint8Array,
    at: number,
    bytes: Uint8Array,
    off: number,
    depth: number,
  ): void {
    const prefix = this.prefix;
    const p = prefix.length;
    const nb = (depth + 1) >>> 1;
    for (let i = 0; i < p; i++) to[at + i] = prefix[i];
    to[at + p] = depth;
    for (let i = 0; i < nb; i++) to[at + p + 1 + i] = bytes[off + i];
    if ((depth & 1) === 1) to[at + p + nb] &= 0xf0;
  }

  // ---- loading ----

  private async loadAll(missing: Missing[]): Promise<void> {
    const all = await Promise.all(missing.map((m) => this.kv.get(m.key)));
    missing.forEach((m, i) => {
      const bytes = all[i];
      if (bytes === undefined) corrupt("a node the tree refers to is missing");
      if (!this.pool.isLoaded(m.ref)) this.decodeInto(m.ref, bytes);
    });
  }

  /** Fills stub `ref` from its stored bytes after checking them against its known hash. */
  private decodeInto(ref: Ref, bytes: Uint8Array): void {
    const pool = this.pool;
    if (ref < 0) {
      if (bytes.length !== LEAF_BYTES || bytes[0] !== LEAF_TAG) corrupt("expected a leaf");
      this.checkHash(pool.leafHash, leafHashOffset(-ref), sha256(bytes));
      const o = leafDataOffset(-ref);
      for (let i = 0; i < 2 * HASH_BYTES; i++) pool.leafData[o + i] = bytes[1 + i];
      return;
    }
    if (bytes.length < RECORD_HEADER || bytes[0] !== INTERNAL_TAG) {
      corrupt("expected an internal node");
    }
    const bitmap = (bytes[1] << 8) | bytes[2];
    const leafMask = (bytes[3] << 8) | bytes[4];
    const leaves = popcount16(leafMask);
    const internals = popcount16(bitmap) - leaves;
    if (
      (leafMask & ~bitmap) !== 0 ||
      bytes.length !== RECORD_HEADER + HASH_BYTES * internals + 2 * HASH_BYTES * leaves
    ) {
      corrupt("internal node length or leaf mask does not match its bitmap");
    }
    // Rebuild the hash preimage from the children (a leaf child's hash from its keyHash ‖
    // valueHash) and check it against the hash the parent recorded: that covers every byte.
    const pre = this.preimageBuffer;
    pre[1] = INTERNAL_TAG;
    pre[2] = bytes[1];
    pre[3] = bytes[2];
    let p = 4;
    let off = RECORD_HEADER;
    let leafOff = RECORD_HEADER + HASH_BYTES * internals;
    const s = this.leafPre;
    const children: Ref[] = [];
    for (let n = 0; n < 16; n++) {
      let child = EMPTY_REF;
      if ((bitmap >>> n) & 1) {
        if ((leafMask >>> n) & 1) {
          child = -pool.allocLeaf();
          const o = leafDataOffset(-child);
          s[0] = LEAF_TAG;
          for (let i = 0; i < 2 * HASH_BYTES; i++) {
            s[1 + i] = bytes[leafOff + i];
            pool.leafData[o + i] = bytes[leafOff + i];
          }
          leafOff += 2 * HASH_BYTES;
          sha256Into(s, pool.leafHash, leafHashOffset(-child));
          for (let i = 0; i < HASH_BYTES; i++)
            pre[p + i] = pool.leafHash[leafHashOffset(-child) + i];
        } else {
          child = pool.allocInternal();
          const o = HASH_BYTES * child;
          for (let i = 0; i < HASH_BYTES; i++) {
            pool.internalHash[o + i] = bytes[off + i];
            pre[p + i] = bytes[off + i];
          }
          pool.markStub(child);
          off += HASH_BYTES;
        }
        p += HASH_BYTES;
      }
      children.push(child);
    }
    this.checkHash(pool.internalHash, HASH_BYTES * ref, sha256(pre.subarray(1, p)));
    // Children last: they are what makes the node loaded (nodePool.ts). Read pool.children
    // after the allocations above: they may have grown it.
    for (let n = 0; n < 16; n++) pool.children[16 * ref + n] = children[n];
  }

  private checkHash(hashes: Uint8Array, o: number, actual: Uint8Array): void {
    for (let i = 0; i < HASH_BYTES; i++) {
      if (hashes[o + i] !== actual[i]) corrupt("stored node does not match its parent's hash");
    }
  }

  private collectStubs(
    ref: Ref,
    depth: number,
    ops: TreeBatch,
    lo: number,
    hi: number,
    out: Missing[],
  ): void {
    if (ref === EMPTY_REF) return;
    const h = ops.hashes;
    if (!this.pool.isLoaded(ref)) {
      out.push({ ref, key: this.nodeKey(h, OP * lo, depth) });
      return;
    }
    if (ref < 0) return;
    for (let i = lo; i < hi; ) {
      const n = nibbleAtOffset(h, OP * i, depth);
      let j = i + 1;
      while (j < hi && nibbleAtOffset(h, OP * j, depth) === n) j++;
      this.collectStubs(this.pool.children[16 * ref + n], depth + 1, ops, i, j, out);
      i = j;
    }
  }

  // ---- writing ----

  /**
   * A record of `size` bytes in the pass's current buffer, starting at an offset ≡ 3 mod 4
   * so that the hashes after the 5-byte header are word-aligned (copied as Int32s).
   */
  private reserve(pass: Pass, size: number): number {
    let start = ((pass.chunkOff + 4) & ~3) + 3;
    if (start + size > pass.chunk.length) {
      // One buffer per 256 KiB of nodes rather than one per node: far fewer allocations.
      // Reused only when the KvStore copies what it writes (reuseBuffers): a DeferredKv
      // keeps the batch after write() resolves, until the application's Commit.
      pass.chunk = this.takeBuffer(pass);
      pass.chunkIdx = pass.buffers.length - 1;
      pass.chunk32 = new Int32Array(pass.chunk.buffer);
      start = 3;
    }
    pass.start = start;
    pass.chunkOff = start + size;
    return start;
  }

  /** Records a written node: key (a keyRef) → pass.chunk[start, start + size). */
  private emit(pass: Pass, key: number, start: number, size: number): void {
    const kl = key % 64;
    const pos = (key - kl) / 64;
    const ko = pos % CHUNK_BYTES;
    let x = pass.packed;
    const j = 6 * pass.records++;
    if (j + 6 > x.length) {
      const grown = new Int32Array(2 * x.length);
      grown.set(x);
      pass.packed = x = grown;
    }
    x[j] = (pos - ko) / CHUNK_BYTES;
    x[j + 1] = ko;
    x[j + 2] = kl;
    x[j + 3] = pass.chunkIdx;
    x[j + 4] = start;
    x[j + 5] = size;
  }

  /** A new leaf for the op at byte `at` of the batch (keyHash then valueHash). */
  private newLeaf(at: number, pass: Pass): Ref {
    const pool = this.pool;
    const id = pool.allocLeaf();
    // Word copies into the leaf and into the preimage view (tag at byte 3, data from 4).
    const from = this.batch32;
    const d32 = pool.leafData32;
    const s32 = this.leafPre32;
    const f = at >>> 2;
    const o = leafDataOffset(id) >>> 2;
    for (let i = 0; i < 16; i++) {
      const x = from[f + i];
      d32[o + i] = x;
      s32[1 + i] = x;
    }
    this.leafPreBuffer[3] = LEAF_TAG;
    sha256Into(this.leafPre, pool.leafHash, leafHashOffset(id));
    pass.created.push(-id);
    return -id;
  }

  /** The record of a root that is a single leaf (other leaves live in their parent). */
  private emitRootLeaf(pass: Pass, ref: Ref, key: number): void {
    const start = this.reserve(pass, LEAF_BYTES);
    const out = pass.chunk;
    const data = this.pool.leafData;
    const o = leafDataOffset(-ref);
    out[start] = LEAF_TAG;
    for (let i = 0; i < 2 * HASH_BYTES; i++) out[start + 1 + i] = data[o + i];
    this.emit(pass, key, start, LEAF_BYTES);
  }

  /**
   * newInternal's early loads folded into one number, kept where the optimiser must assume
   * it is read, so that it cannot drop them as dead code. Meaningless otherwise.
   */
  touchSink = 0;

  /** A new internal node with the children in rows[row..row+16): encoded, hashed, emitted. */
  private newInternal(pass: Pass, row: number, key: number): Ref {
    const pool = this.pool;
    const rows = this.rows;
    let count = 0;
    let leaves = 0;
    let bitmap = 0;
    let leafMask = 0;
    // The first pass over the children also loads the cache lines of each one's hash (and a
    // leaf's data): independent loads whose misses the processor overlaps, where the copy
    // loop below would otherwise wait for them one child at a time. In a 10^6-key tree
    // these are the commit's main cost (measured: ~4 ms less per 10^4-key commit).
    let touch = 0;
    const ih = pool.internalHash32;
    const ld = pool.leafData32;
    for (let n = 0; n < 16; n++) {
      const c = rows[row + n];
      if (c === EMPTY_REF) continue;
      count++;
      bitmap |= 1 << n;
      if (c < 0) {
        leaves++;
        leafMask |= 1 << n;
        const o = (LEAF_STRIDE / 4) * -c;
        touch ^= ld[o] ^ ld[o + 23];
      } else touch ^= ih[8 * c];
    }
    this.touchSink ^= touch;
    const size = RECORD_HEADER + HASH_BYTES * (count - leaves) + 2 * HASH_BYTES * leaves;
    const start = this.reserve(pass, size);
    const out = pass.chunk;
    out[start] = INTERNAL_TAG;
    out[start + 1] = bitmap >>> 8;
    out[start + 2] = bitmap & 0xff;
    out[start + 3] = leafMask >>> 8;
    out[start + 4] = leafMask & 0xff;
    // One pass over the children, each read once: every child's hash goes into the hash
    // preimage (a preallocated view of its size, word-aligned from byte 4), an internal
    // child's hash also into the record, and a leaf child's keyHash ‖ valueHash into the
    // record's leaf section (its hash is derivable, so it is not stored). The record starts
    // at ≡ 3 mod 4, so everything after its 5-byte header is word-aligned.
    const w32 = pass.chunk32;
    let w = (start + RECORD_HEADER) >>> 2;
    let lw = w + 8 * (count - leaves);
    const pre32 = this.preimage32;
    let p = 1;
    const ih32 = pool.internalHash32;
    const ld32 = pool.leafData32;
    for (let n = 0; n < 16; n++) {
      const c = rows[row + n];
      if (c === EMPTY_REF) continue;
      if (c < 0) {
        const o = (LEAF_STRIDE / 4) * -c;
        for (let i = 0; i < 8; i++) pre32[p + i] = ld32[o + i];
        for (let i = 0; i < 16; i++) w32[lw + i] = ld32[o + 8 + i];
        lw += 16;
      } else {
        const o = 8 * c;
        for (let i = 0; i < 8; i++) {
          const x = ih32[o + i];
          pre32[p + i] = x;
          w32[w + i] = x;
        }
        w += 8;
      }
      p += 8;
    }
    const pre = this.preimages[count];
    pre[0] = INTERNAL_TAG;
    pre[1] = bitmap >>> 8;
    pre[2] = bitmap & 0xff;
    // After the reads above: allocInternal may grow (replace) pool.internalHash.
    const id = pool.allocInternal();
    sha256Into(pre, pool.internalHash, HASH_BYTES * id);
    const ch = pool.children;
    for (let n = 0; n < 16; n++) ch[16 * id + n] = rows[row + n];
    pass.created.push(id);
    this.emit(pass, key, start, size);
    return id;
  }

  // ---- the batch update ----

  /** The new version of the subtree `ref` at `depth` after ops[lo, hi). */
  private upd(ref: Ref, depth: number, ops: TreeBatch, lo: number, hi: number, pass: Pass): Ref {
    const pool = this.pool;
    const h = ops.hashes;
    if (ref === EMPTY_REF) {
      const base = this.entriesTop;
      for (let i = lo; i < hi; i++) {
        if (ops.deletes[i] === 0) this.pushEntry(this.newLeaf(OP * i, pass));
      }
      const built = this.build(depth, base, this.entriesTop, pass);
      this.entriesTop = base;
      return built;
    }
    if (ref < 0) return this.updLeaf(ref, depth, ops, lo, hi, pass);

    const rows = this.rows;
    const row = 16 * depth;
    let any = 0;
    for (let n = 0; n < 16; n++) any |= rows[row + n] = pool.children[16 * ref + n];
    if (any === EMPTY_REF) {
      // A stub (nodePool.ts): load it and redo the pass.
      pass.missing.push({ ref, key: this.nodeKey(h, OP * lo, depth) });
      return ref;
    }
    let changed = false;
    for (let i = lo; i < hi; ) {
      const n = nibbleAtOffset(h, OP * i, depth);
      let j = i + 1;
      while (j < hi && nibbleAtOffset(h, OP * j, depth) === n) j++;
      const old = rows[row + n];
      const c = this.upd(old, depth + 1, ops, i, j, pass);
      if (c !== old) {
        rows[row + n] = c;
        changed = true;
      }
      i = j;
    }
    if (!changed) return ref; // only deletions of absent keys reached here
    pass.replaced.push(ref);
    let count = 0;
    let only = 0;
    for (let n = 0; n < 16; n++) {
      if (rows[row + n] !== EMPTY_REF) {
        count++;
        only = n;
      }
    }
    const key = this.keyRef(h, OP * lo, depth, pass);
    if (count === 0) {
      pass.dels.push(this.keyView(pass, key));
      return EMPTY_REF;
    }
    const single = rows[row + only];
    if (count === 1 && single < 0) {
      // A subtree with one key is that key's leaf, one level up: this node's record goes,
      // and the parent (rewritten, as its child changed) carries the leaf.
      if (depth === 0) this.emitRootLeaf(pass, single, key);
      else pass.dels.push(this.keyView(pass, key));
      return single;
    }
    return this.newInternal(pass, row, key);
  }

  private updLeaf(
    ref: Ref,
    depth: number,
    ops: TreeBatch,
    lo: number,
    hi: number,
    pass: Pass,
  ): Ref {
    const h = ops.hashes;
    const data = this.pool.leafData;
    const o = leafDataOffset(-ref);
    // Merge the resident leaf into the sorted ops, as an untouched entry unless an op names it.
    const base = this.entriesTop;
    let placed = false;
    for (let i = lo; i < hi; i++) {
      const at = OP * i;
      const c = placed ? 1 : compareRange(h, at, data, o);
      if (c > 0 && !placed) {
        this.pushEntry(ref);
        placed = true;
      }
      if (c === 0) {
        placed = true;
        const deleted = ops.deletes[i] === 1;
        if (!deleted && compareRange(h, at + HASH_BYTES, data, o + HASH_BYTES) === 0) {
          this.pushEntry(ref);
          continue;
        }
        pass.replaced.push(ref);
        if (!deleted) this.pushEntry(this.newLeaf(at, pass));
      } else if (ops.deletes[i] === 0) {
        this.pushEntry(this.newLeaf(at, pass));
      }
    }
    if (!placed) this.pushEntry(ref);
    const count = this.entriesTop - base;
    if (count === 1 && this.entries[base] === ref) {
      this.entriesTop = base;
      return ref;
    }
    if (count === 0) {
      if (depth === 0) pass.dels.push(this.nodeKey(data, o, 0));
      return EMPTY_REF;
    }
    const built = this.build(depth, base, this.entriesTop, pass);
    this.entriesTop = base;
    return built;
  }

  /**
   * The canonical subtree at `depth` holding the leaves entries[lo, hi) (sorted by keyHash).
   * Each child's subtree is built (at depth + 1, into deeper rows) before this node's row is
   * filled, so the row can take them as they come.
   */
  private build(depth: number, lo: number, hi: number, pass: Pass): Ref {
    if (lo === hi) return EMPTY_REF;
    const entries = this.entries;
    const data = this.pool.leafData;
    const first = leafDataOffset(-entries[lo]);
    const key = this.keyRef(data, first, depth, pass);
    if (hi - lo === 1) {
      if (depth === 0) this.emitRootLeaf(pass, entries[lo], key);
      return entries[lo];
    }
    const row = 16 * depth;
    const rows = this.rows;
    for (let n = 0; n < 16; n++) rows[row + n] = EMPTY_REF;
    for (let i = lo; i < hi; ) {
      const n = nibbleOfLeaf(this.pool.leafData, entries[i], depth);
      let j = i + 1;
      while (j < hi && nibbleOfLeaf(this.pool.leafData, entries[j], depth) === n) j++;
      rows[row + n] = this.build(depth + 1, i, j, pass);
      i = j;
    }
    return this.newInternal(pass, row, key);
  }

  /** Appends a leaf ref to the entries stack (grown by doubling). */
  private pushEntry(ref: Ref): void {
    if (this.entriesTop === this.entries.length) {
      const grown = new Int32Array(2 * this.entries.length);
      grown.set(this.entries);
      this.entries = grown;
    }
    this.entries[this.entriesTop++] = ref;
  }
}

function nibbleOfLeaf(data: Uint8Array, ref: Ref, depth: number): number {
  const b = data[leafDataOffset(-ref) + (depth >>> 1)];
  return (depth & 1) === 0 ? b >>> 4 : b & 0x0f;
}

/** compareBytes of the 32-byte hashes a[ao, ao + 32) and b[bo, bo + 32). */
function compareRange(a: Uint8Array, ao: number, b: Uint8Array, bo: number): number {
  for (let i = 0; i < HASH_BYTES; i++) {
    const d = a[ao + i] - b[bo + i];
    if (d !== 0) return d;
  }
  return 0;
}

/** nibbleAt for a hash at bytes[off, off + 32). */
function nibbleAtOffset(bytes: Uint8Array, off: number, depth: number): number {
  const b = bytes[off + (depth >>> 1)];
  return (depth & 1) === 0 ? b >>> 4 : b & 0x0f;
}
