/**
 * The storage contract of the authenticated store: an ordered byte-key/byte-value map with
 * atomic batches. The node implements it over LevelDB (one `db.batch()` per `write`); tests
 * use `MemoryKvStore`. Nothing above this interface knows which one it talks to.
 */

/**
 * Puts as ranges of shared buffers, with no object per entry: entry i is the six numbers
 * index[6 i, 6 i + 6): key buffer, key offset, key length, value buffer, value offset, value
 * length, the buffers being indexes into `buffers`.
 */
export interface PackedPuts {
  readonly buffers: readonly Uint8Array[];
  readonly index: Int32Array;
  readonly count: number;
}

/**
 * One atomic change set: every put and delete lands, or none does. Packed puts apply first,
 * then `puts`, then `dels`.
 */
export interface KvBatch {
  puts: [key: Uint8Array, value: Uint8Array][];
  dels: Uint8Array[];
  packed?: readonly PackedPuts[];
}

/** Every put of the batch as [key, value] views, packed ones first (for stores that apply puts one by one). */
export function unpackedPuts(batch: KvBatch): [Uint8Array, Uint8Array][] {
  if (batch.packed === undefined || batch.packed.length === 0) return batch.puts;
  const out: [Uint8Array, Uint8Array][] = [];
  for (const p of batch.packed) {
    const x = p.index;
    for (let i = 0; i < p.count; i++) {
      const k = p.buffers[x[6 * i]];
      const v = p.buffers[x[6 * i + 3]];
      out.push([
        k.subarray(x[6 * i + 1], x[6 * i + 1] + x[6 * i + 2]),
        v.subarray(x[6 * i + 4], x[6 * i + 4] + x[6 * i + 5]),
      ]);
    }
  }
  for (const p of batch.puts) out.push(p);
  return out;
}

/**
 * A key range in byte order. `prefix` selects the keys starting with it and combines with
 * `gte`/`lt` (both bounds apply). `reverse` walks from the largest key down.
 */
export interface KvRange {
  prefix?: Uint8Array;
  gte?: Uint8Array;
  lt?: Uint8Array;
  reverse?: boolean;
}

export interface KvStore {
  /** The stored value; callers treat it as read-only (it may be a view of the store's memory). */
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  /** Entries in byte order of their keys; a snapshot as of the call. */
  iterate(range?: KvRange): AsyncIterable<[key: Uint8Array, value: Uint8Array]>;
  /**
   * Applies the batch atomically. A key both put and deleted in one batch ends deleted
   * (deletes apply after puts; the tree relies on this). A rejected promise means nothing
   * was written. The caller does not touch the batch's buffers afterwards, so a store may
   * keep them without copying.
   */
  write(batch: KvBatch): Promise<void>;
  /**
   * True when `write` has copied every byte of the batch by the time it resolves (a memory
   * store's arena, LevelDB's own batch): the caller may then reuse the batch's buffers.
   * Absent or false: the store may keep them (DeferredKv holds the batch until Commit).
   */
  readonly copiesWrites?: boolean;
}

/** The smallest key greater than every key starting with `prefix` (undefined if none). */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  const end = prefix.slice();
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] !== 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return undefined;
}
