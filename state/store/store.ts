/**
 * The authenticated store the application writes its state to.
 *
 * During a block the state machine stages `set`/`delete` in a write buffer (reads see the
 * buffer first); `commit()` hashes the dirty keys, updates the tree once from them sorted
 * by keyHash, and writes values, tree nodes and the version record to the KvStore in one
 * atomic batch. Only when that batch is durable does the new root become the committed
 * one: if the write is rejected (a crash, a full disk) the store still serves the previous
 * version, and the dirty keys stay staged.
 *
 * Key space of the KvStore (buckets never reused, as Lodestar's):
 *   0x01 || key                    value of a state key (opaque bytes, canonical CBOR by convention)
 *   0x02 || depth || nibble path   tree node (smt.ts), latest version only
 *   0x03 || "head"                 CBOR [version, root]
 */
import { concatBytes, utf8 } from "../../lib/bytes.js";
import { decodeTrusted, encode } from "../../lib/cbor.js";
import { InvariantError } from "../../lib/errors.js";
import { sha256Into } from "../../lib/hash.js";
import { keyString } from "./keyString.js";
import type { KvBatch, KvStore, PackedPuts } from "./kv.js";
import { HASH_BYTES, keyHashOf, type Proof } from "./proof.js";
import { type PreparedUpdate, SparseMerkleTree, type TreeBatch } from "./smt.js";

export const BUCKET_VALUES = new Uint8Array([0x01]);
export const BUCKET_TREE = new Uint8Array([0x02]);
export const HEAD_KEY = concatBytes(new Uint8Array([0x03]), utf8("head"));

/** State keys are short structured byte strings; the bound keeps proofs and batches sane. */
export const MAX_KEY_BYTES = 1024;

export interface CommitResult {
  root: Uint8Array;
  version: number;
}

export interface ProvenValue {
  /** The committed value, or undefined if the key is absent (the proof then shows it). */
  value: Uint8Array | undefined;
  proof: Proof;
  root: Uint8Array;
  version: number;
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length === 0 || key.length > MAX_KEY_BYTES) {
    throw new TypeError(`state key must be 1..${MAX_KEY_BYTES} bytes`);
  }
}

export class AuthenticatedStore {
  /**
   * Staged changes by key (as a latin1 string, keyString.ts; the key's bytes are recovered
   * from it at commit): the value, or null for a deletion. One Map entry per key, no object
   * of its own: what a block stages stays alive until its commit, and the young-generation
   * collections that run meanwhile copy whatever is alive.
   */
  private buffer = new Map<string, Uint8Array | null>();
  /** Serialises commit and prove: a proof must read nodes and value of one version. */
  private lock: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly kv: KvStore,
    private readonly tree: SparseMerkleTree,
    private committedVersion: number,
  ) {}

  /** Opens the store at its last committed version (version 0 and the empty root if new). */
  static async open(kv: KvStore): Promise<AuthenticatedStore> {
    const head = await kv.get(HEAD_KEY);
    if (head === undefined) {
      const tree = SparseMerkleTree.empty(kv, BUCKET_TREE);
      tree.reuseBuffers = kv.copiesWrites === true;
      return new AuthenticatedStore(kv, tree, 0);
    }
    const rec = decodeTrusted(head);
    if (
      !Array.isArray(rec) ||
      rec.length !== 2 ||
      !Number.isSafeInteger(rec[0]) ||
      !(rec[1] instanceof Uint8Array) ||
      rec[1].length !== HASH_BYTES
    ) {
      throw new InvariantError("state_store_head", "malformed head record");
    }
    const tree = await SparseMerkleTree.open(kv, BUCKET_TREE, rec[1]);
    tree.reuseBuffers = kv.copiesWrites === true;
    return new AuthenticatedStore(kv, tree, rec[0] as number);
  }

  /** Same as `open`: the storage-side name (STYLE: save/load for storage). */
  static load(kv: KvStore): Promise<AuthenticatedStore> {
    return AuthenticatedStore.open(kv);
  }

  /** The app hash of the last commit. */
  root(): Uint8Array {
    return this.tree.rootHash();
  }

  version(): number {
    return this.committedVersion;
  }

  /** Number of keys staged since the last commit. */
  pendingCount(): number {
    return this.buffer.size;
  }

  /** The value as the current block sees it: staged changes first, then the last commit. */
  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    checkKey(key);
    const staged = this.buffer.get(keyString(key));
    if (staged !== undefined) return staged ?? undefined;
    return this.kv.get(concatBytes(BUCKET_VALUES, key));
  }

  /** The value of the last commit, ignoring staged changes. */
  async getCommitted(key: Uint8Array): Promise<Uint8Array | undefined> {
    checkKey(key);
    return this.kv.get(concatBytes(BUCKET_VALUES, key));
  }

  /** Stages a value; the store keeps the buffer, so the caller must not mutate it later. */
  set(key: Uint8Array, value: Uint8Array): void {
    checkKey(key);
    if (!(value instanceof Uint8Array)) throw new TypeError("state value must be bytes");
    this.buffer.set(keyString(key), value);
  }

  delete(key: Uint8Array): void {
    checkKey(key);
    this.buffer.set(keyString(key), null);
  }

  /** Drops every staged change (a block that is not committed). */
  discard(): void {
    this.buffer.clear();
  }

  /**
   * Committed entries whose keys start with `prefix`, in key order (staged changes are not
   * seen). For the node to rebuild in-memory indexes at startup.
   */
  async *entries(prefix: Uint8Array = new Uint8Array(0)): AsyncIterable<[Uint8Array, Uint8Array]> {
    const skip = BUCKET_VALUES.length;
    for await (const [k, v] of this.kv.iterate({ prefix: concatBytes(BUCKET_VALUES, prefix) })) {
      yield [k.subarray(skip), v];
    }
  }

  /**
   * Commits the staged changes as `version` (default: the next one) in one atomic KvStore
   * batch and returns the new app hash. Committing with nothing staged still advances the
   * version (a block with no state change) and keeps the root.
   *
   * `extra` puts and deletes join the same batch: the node's block, results and indexes,
   * persisted atomically with the state. Their keys must not start with 0x01..0x03.
   */
  commit(version?: number, extra?: KvBatch): Promise<CommitResult> {
    if (extra !== undefined) {
      for (const k of [...extra.puts.map((p) => p[0]), ...extra.dels]) {
        if (k.length === 0 || (k[0] >= 0x01 && k[0] <= 0x03)) {
          throw new TypeError("extra batch keys must not use the store's buckets 0x01..0x03");
        }
      }
    }
    return this.exclusive(() => this.commitNow(version, extra));
  }

  /** A proof of `key` (present or absent) against the committed root. */
  prove(key: Uint8Array): Promise<ProvenValue> {
    checkKey(key);
    return this.exclusive(async () => {
      const kh = keyHashOf(key);
      const { proof, found } = await this.tree.prove(kh);
      const value = found ? await this.kv.get(concatBytes(BUCKET_VALUES, key)) : undefined;
      if (found && value === undefined) {
        throw new InvariantError("state_store_value", "a key in the tree has no stored value");
      }
      return { value, proof, root: this.tree.rootHash(), version: this.committedVersion };
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private readonly keyScratchBuffer = new Uint8Array(MAX_KEY_BYTES);
  private readonly keyScratchViews: Uint8Array[] = [];

  /** keyScratchBuffer[0, length), one view per length made once. */
  private keyScratch(length: number): Uint8Array {
    let v = this.keyScratchViews[length];
    if (v === undefined) {
      v = this.keyScratchBuffer.subarray(0, length);
      this.keyScratchViews[length] = v;
    }
    return v;
  }

  private async commitNow(
    requested: number | undefined,
    extra: KvBatch | undefined,
  ): Promise<CommitResult> {
    // The default is resolved here, inside the lock, so queued commits number correctly.
    const version = requested ?? this.committedVersion + 1;
    if (!Number.isSafeInteger(version) || version <= this.committedVersion) {
      throw new InvariantError(
        "state_store_version",
        `commit version ${version} must exceed ${this.committedVersion}`,
      );
    }
    const dirty = this.buffer;
    this.buffer = new Map();
    let update: PreparedUpdate | undefined;
    try {
      // forEach, not a spread of entries(): no iterator result object per key.
      const n = dirty.size;
      const keys = new Array<string>(n);
      const vals = new Array<Uint8Array | null>(n);
      let k = 0;
      dirty.forEach((v, key) => {
        keys[k] = key;
        vals[k++] = v;
      });
      // The value puts' keys (bucket byte + key), all in one buffer, written from the key
      // strings; each key's hash is taken from its range there. Indexed loops: commitNow runs
      // once per block and is never optimised, and a for-of there allocates per key.
      let keyBytes = 0;
      for (let i = 0; i < n; i++) keyBytes += 1 + keys[i].length;
      const valueKeys = new Uint8Array(keyBytes);
      // One buffer for every key and value hash of the batch, not two arrays per key.
      const hashes = new Uint8Array(64 * n);
      const deletes = new Uint8Array(n);
      let at = 0;
      for (let i = 0; i < n; i++) {
        const key = keys[i];
        // The key is hashed from a scratch view of its length (kept per length), so no view
        // is made per key: 10^4 short-lived objects per commit, and young-generation work.
        const scratch = this.keyScratch(key.length);
        valueKeys[at] = BUCKET_VALUES[0];
        for (let c = 0; c < key.length; c++) {
          const b = key.charCodeAt(c);
          valueKeys[at + 1 + c] = b;
          scratch[c] = b;
        }
        sha256Into(scratch, hashes, 64 * i);
        const value = vals[i];
        if (value === null) deletes[i] = 1;
        else sha256Into(value, hashes, 64 * i + 32);
        at += 1 + key.length;
      }
      // Sorting by keyHash puts every subtree's keys in one run: the tree's batch order.
      update = await this.tree.prepare(sortedBatch(hashes, deletes, n));
      const puts: [Uint8Array, Uint8Array][] = [];
      const dels = update.dels;
      // Value puts packed too: each entry a range of valueKeys and the whole value
      // (buffers: [valueKeys, value 1, value 2, …]).
      const buffers: Uint8Array[] = [valueKeys];
      const index = new Int32Array(6 * n);
      let entries = 0;
      at = 0;
      for (let i = 0; i < n; i++) {
        const kl = 1 + keys[i].length;
        const value = vals[i];
        if (value === null) dels.push(valueKeys.subarray(at, at + kl));
        else {
          const j = 6 * entries++;
          index[j + 1] = at;
          index[j + 2] = kl;
          index[j + 3] = buffers.length;
          index[j + 5] = value.length;
          buffers.push(value);
        }
        at += kl;
      }
      const values: PackedPuts = { buffers, index, count: entries };
      puts.push([HEAD_KEY, encode([version, update.rootHash])]);
      if (extra !== undefined) {
        for (const p of extra.puts) puts.push(p);
        for (const d of extra.dels) dels.push(d);
      }
      await this.kv.write({ puts, dels, packed: [update.packed, values] });
      this.tree.adopt(update);
      this.committedVersion = version;
      return { root: update.rootHash, version };
    } catch (e) {
      if (update !== undefined) this.tree.discard(update);
      // Nothing was persisted: stage the changes again, under any made since.
      for (const [k, s] of this.buffer) dirty.set(k, s);
      this.buffer = dirty;
      throw e;
    }
  }
}

/** Below this many ops, each index fits in the 20 low bits of a sort key (see below). */
const INDEX_BITS = 20;

function compareHashes(h: Uint8Array, a: number, b: number): number {
  for (let k = 0; k < 32; k++) {
    const d = h[64 * a + k] - h[64 * b + k];
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The batch in keyHash order: op i's hashes are hashes[64 i, 64 i + 64) (keyHash, then
 * valueHash; `hashes` starts word-aligned). Each op becomes one number, (first 4 bytes of its keyHash) · 2^20 + i (exact in
 * a float64, < 2^52), and a Float64Array sorts those natively, with no comparator call per
 * comparison. Equal 32-bit prefixes (about one pair per batch at 10^4 keys) are then put in
 * full byte order. Batches of 2^20 ops or more take a comparator sort of the indexes.
 */
export function sortedBatch(hashes: Uint8Array, deletes: Uint8Array, n: number): TreeBatch {
  const order = new Float64Array(n);
  const span = 1 << INDEX_BITS;
  if (n >= span) {
    const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => compareHashes(hashes, a, b));
    for (let i = 0; i < n; i++) order[i] = idx[i];
  } else {
    for (let i = 0; i < n; i++) {
      const o = 64 * i;
      const prefix =
        ((hashes[o] << 24) | (hashes[o + 1] << 16) | (hashes[o + 2] << 8) | hashes[o + 3]) >>> 0;
      order[i] = prefix * span + i;
    }
    order.sort();
    // Split each sort key back into prefix and index: dividing by 2^20 is exact, and `>>> 0`
    // truncates the quotient (below 2^32) to the prefix; cheaper than a floating-point modulo.
    const prefixes = new Float64Array(n);
    const index = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const p = (order[i] / span) >>> 0;
      prefixes[i] = p;
      index[i] = order[i] - p * span;
    }
    // Runs of equal 32-bit prefixes: order them by the whole hash.
    for (let i = 0; i < n - 1; ) {
      let j = i + 1;
      while (j < n && prefixes[j] === prefixes[i]) j++;
      if (j - i > 1) {
        const run = Array.from(index.subarray(i, j)).sort((a, b) => compareHashes(hashes, a, b));
        for (let k = i; k < j; k++) index[k] = run[k - i];
      }
      i = j;
    }
    for (let i = 0; i < n; i++) order[i] = index[i];
  }
  const sorted = new Uint8Array(64 * n);
  const sortedDeletes = new Uint8Array(n);
  // Word copies (both buffers start word-aligned): no view object per op.
  const from32 = new Int32Array(hashes.buffer, hashes.byteOffset, 16 * n);
  const to32 = new Int32Array(sorted.buffer);
  for (let i = 0; i < n; i++) {
    const from = order[i];
    for (let k = 0; k < 16; k++) to32[16 * i + k] = from32[16 * from + k];
    sortedDeletes[i] = deletes[from];
  }
  return { count: n, hashes: sorted, deletes: sortedDeletes };
}
