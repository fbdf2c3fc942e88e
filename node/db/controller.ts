/**
 * The database controller: an ordered byte-key/byte-value store with atomic batches
 * (Lodestar's `DatabaseController`). Two implementations: LevelDB on disk (level.ts) and
 * memory for unit tests (memory.ts). Repositories and the state KvStore adapter sit on top
 * and never see which one they use.
 */

/** A key range in byte order: `gte` inclusive, `lt` exclusive, `limit` entries at most. */
export interface DbRange {
  gte?: Uint8Array;
  lt?: Uint8Array;
  reverse?: boolean;
  limit?: number;
}

export type DbOp =
  | { type: "put"; key: Uint8Array; value: Uint8Array }
  | { type: "del"; key: Uint8Array };

export interface WriteOptions {
  /**
   * fsync before resolving. Default true for batches: a committed block must survive a
   * power cut, otherwise the node could double-sign after restart (CometBFT WriteSync).
   */
  sync?: boolean;
}

export interface DatabaseController {
  /** Where the data lives (a directory, or "memory"), for error messages and logs. */
  readonly location: string;
  readonly isOpen: boolean;
  open(): Promise<void>;
  close(): Promise<void>;
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  /**
   * Synchronous point read. For callers with a synchronous interface (the consensus
   * BlockStore's `load`). Both implementations support it.
   */
  getSync(key: Uint8Array): Uint8Array | undefined;
  put(key: Uint8Array, value: Uint8Array): Promise<void>;
  del(key: Uint8Array): Promise<void>;
  /** Applies every op of the batch in order, atomically: all land or none does. */
  write(batch: WriteBatch, opts?: WriteOptions): Promise<void>;
  /** Entries in byte order of their keys; a snapshot taken when `iterate` is called. */
  iterate(range?: DbRange): AsyncIterable<[key: Uint8Array, value: Uint8Array]>;
}

/** Something that owns a bucket and can turn its typed keys and values into bytes. */
export interface BatchTarget<K, V> {
  dbKey(key: K): Uint8Array;
  encodeValue(value: V): Uint8Array;
}

type WrittenHook = (err: unknown | undefined) => void;

/**
 * An atomic change set across repositories. Build it with typed `put`/`del` on
 * repositories, or raw full keys; write it with `db.write(batch)`.
 *
 * `onWritten` hooks run once the batch has been written (err undefined) or has failed
 * (err set); the state KvStore adapter uses them to settle its own `write` promise, so the
 * authenticated store only adopts a new root when the shared batch is durable.
 */
export class WriteBatch {
  readonly ops: DbOp[] = [];
  private hooks: WrittenHook[] = [];
  private settled = false;

  put<K, V>(target: BatchTarget<K, V>, key: K, value: V): this {
    return this.putRaw(target.dbKey(key), target.encodeValue(value));
  }

  del<K, V>(target: BatchTarget<K, V>, key: K): this {
    return this.delRaw(target.dbKey(key));
  }

  putRaw(key: Uint8Array, value: Uint8Array): this {
    this.assertOpen();
    this.ops.push({ type: "put", key, value });
    return this;
  }

  delRaw(key: Uint8Array): this {
    this.assertOpen();
    this.ops.push({ type: "del", key });
    return this;
  }

  get length(): number {
    return this.ops.length;
  }

  /** Total bytes of keys and values, for metrics and batch-size limits. */
  get byteLength(): number {
    let n = 0;
    for (const op of this.ops) n += op.key.length + (op.type === "put" ? op.value.length : 0);
    return n;
  }

  onWritten(hook: WrittenHook): void {
    this.assertOpen();
    this.hooks.push(hook);
  }

  /** Called by the controller after the write attempt; a batch is written at most once. */
  settle(err: unknown | undefined): void {
    if (this.settled) return;
    this.settled = true;
    const hooks = this.hooks;
    this.hooks = [];
    for (const h of hooks) h(err);
  }

  get isSettled(): boolean {
    return this.settled;
  }

  private assertOpen(): void {
    if (this.settled) throw new Error("write batch already written; build a new one");
  }
}

/** Heights are keyed as 8-byte big-endian so that byte order is height order. */
export function encodeHeight(height: number): Uint8Array {
  if (!Number.isSafeInteger(height) || height < 0) {
    throw new RangeError(`height must be a non-negative safe integer, got ${height}`);
  }
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(height));
  return out;
}

export function decodeHeight(bytes: Uint8Array): number {
  if (bytes.length !== 8) throw new RangeError(`height key must be 8 bytes, got ${bytes.length}`);
  const h = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0);
  if (h > BigInt(Number.MAX_SAFE_INTEGER))
    throw new RangeError(`height ${h} is not a safe integer`);
  return Number(h);
}
