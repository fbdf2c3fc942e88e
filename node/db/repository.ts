/**
 * A typed view over one bucket (Lodestar's `abstractRepository.ts`): the repository owns
 * the encoding of its keys and values; the key on disk is the bucket byte followed by the
 * encoded key. Reads go straight to the controller; writes either go straight too
 * (`put`/`del`, for data outside a block commit) or into a shared `WriteBatch`
 * (`batch.put(repo, key, value)`) so a block commits in one atomic write.
 */
import { concatBytes } from "../../lib/bytes.js";
import type { Bucket } from "./buckets.js";
import {
  type BatchTarget,
  type DatabaseController,
  decodeHeight,
  encodeHeight,
  WriteBatch,
  type WriteOptions,
} from "./controller.js";

export interface RepoRange<K> {
  gte?: K;
  lt?: K;
  reverse?: boolean;
  limit?: number;
}

export abstract class Repository<K, V> implements BatchTarget<K, V> {
  private readonly prefix: Uint8Array;
  private readonly prefixEnd: Uint8Array;

  constructor(
    protected readonly db: DatabaseController,
    readonly bucket: Bucket,
  ) {
    if (!Number.isInteger(bucket) || bucket <= 0 || bucket >= 0xff) {
      throw new RangeError(`bucket must be in 1..254, got ${bucket}`);
    }
    this.prefix = Uint8Array.of(bucket);
    this.prefixEnd = Uint8Array.of(bucket + 1);
  }

  abstract encodeKey(key: K): Uint8Array;
  abstract decodeKey(bytes: Uint8Array): K;
  abstract encodeValue(value: V): Uint8Array;
  abstract decodeValue(bytes: Uint8Array): V;

  dbKey(key: K): Uint8Array {
    return concatBytes(this.prefix, this.encodeKey(key));
  }

  async get(key: K): Promise<V | undefined> {
    const v = await this.db.get(this.dbKey(key));
    return v === undefined ? undefined : this.decodeValue(v);
  }

  getSync(key: K): V | undefined {
    const v = this.db.getSync(this.dbKey(key));
    return v === undefined ? undefined : this.decodeValue(v);
  }

  async has(key: K): Promise<boolean> {
    return (await this.db.get(this.dbKey(key))) !== undefined;
  }

  async put(key: K, value: V): Promise<void> {
    await this.db.put(this.dbKey(key), this.encodeValue(value));
  }

  async del(key: K): Promise<void> {
    await this.db.del(this.dbKey(key));
  }

  /** One atomic batch with only this repository's ops (not fsynced unless asked). */
  async putMany(entries: Iterable<[K, V]>, opts: WriteOptions = { sync: false }): Promise<void> {
    const b = new WriteBatch();
    for (const [k, v] of entries) b.put(this, k, v);
    await this.db.write(b, opts);
  }

  async *entries(range: RepoRange<K> = {}): AsyncIterable<[K, V]> {
    const skip = this.prefix.length;
    for await (const [k, v] of this.db.iterate(this.dbRange(range))) {
      yield [this.decodeKey(k.subarray(skip)), this.decodeValue(v)];
    }
  }

  async *keys(range: RepoRange<K> = {}): AsyncIterable<K> {
    const skip = this.prefix.length;
    for await (const [k] of this.db.iterate(this.dbRange(range))) {
      yield this.decodeKey(k.subarray(skip));
    }
  }

  async firstKey(): Promise<K | undefined> {
    for await (const k of this.keys({ limit: 1 })) return k;
    return undefined;
  }

  async lastKey(): Promise<K | undefined> {
    for await (const k of this.keys({ limit: 1, reverse: true })) return k;
    return undefined;
  }

  private dbRange(range: RepoRange<K>) {
    return {
      gte: range.gte === undefined ? this.prefix : this.dbKey(range.gte),
      lt: range.lt === undefined ? this.prefixEnd : this.dbKey(range.lt),
      ...(range.reverse ? { reverse: true } : {}),
      ...(range.limit !== undefined ? { limit: range.limit } : {}),
    };
  }
}

/** Keys are heights (8-byte big-endian, so iteration is height order); values opaque bytes. */
export class HeightBytesRepository extends Repository<number, Uint8Array> {
  encodeKey(height: number): Uint8Array {
    return encodeHeight(height);
  }
  decodeKey(bytes: Uint8Array): number {
    return decodeHeight(bytes);
  }
  encodeValue(value: Uint8Array): Uint8Array {
    return value;
  }
  decodeValue(bytes: Uint8Array): Uint8Array {
    return bytes;
  }
}

/** Keys and values are opaque bytes (hash-keyed data). */
export class BytesRepository extends Repository<Uint8Array, Uint8Array> {
  encodeKey(key: Uint8Array): Uint8Array {
    return key;
  }
  decodeKey(bytes: Uint8Array): Uint8Array {
    return bytes.slice();
  }
  encodeValue(value: Uint8Array): Uint8Array {
    return value;
  }
  decodeValue(bytes: Uint8Array): Uint8Array {
    return bytes;
  }
}
