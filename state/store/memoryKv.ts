/**
 * An in-memory `KvStore` for tests and benchmarks.
 *
 * Records (key and value) are copied into an append-only arena of 16 MiB chunks and found
 * through an open-addressing hash table of arena positions (an Int32Array). There is no
 * JavaScript object per entry: a store of a million keys held as Map entries and small
 * Uint8Arrays is millions of heap objects that every garbage collection walks, and a Map
 * insert into it cost ~2.7 µs (measured); here it is a hash of the key bytes and a probe.
 *
 * Ranges are served by scanning the table and sorting the matching keys: O(n log n) per
 * iteration, fine for tests; iteration order is byte order, never insertion order.
 * A key overwritten with a value that fits the space of its record is rewritten in place
 * (most overwrites: a state value or a tree node of unchanged size), so the arena grows with
 * new keys and grown values only, and a commit writes into memory it has just read rather
 * than into fresh pages. Deleted and outgrown records are never reclaimed, which suits tests
 * and benchmarks, not a long-running node (it uses LevelDB). Since records change in place,
 * `get` and `iterate` return copies.
 *
 * `failNextWrites(n)` makes the next n writes reject without applying anything: the way
 * tests simulate a crash between building a batch and persisting it.
 */
import { type KvBatch, type KvRange, type KvStore, prefixEnd } from "./kv.js";

const CHUNK_SHIFT = 24; // 16 MiB chunks
const CHUNK_BYTES = 1 << CHUNK_SHIFT;
/** A position is (chunk << 22) | (offset / 4): a small integer up to 256 chunks (4 GiB). */
const OFFSET_BITS = CHUNK_SHIFT - 2;
const OFFSET_MASK = (1 << OFFSET_BITS) - 1;
const MAX_CHUNKS = 256;
/** Record header: key length (u16), value length (u32), spare bytes after the value (u16). */
const HEADER = 8;
const EMPTY = 0;
/** How many puts ahead of its own a record is loaded (see slotsOf). */
const RECORD_AHEAD = 8;
const TOMBSTONE = -1;

export class KvWriteRejected extends Error {
  constructor() {
    super("memory kv: write rejected (simulated crash)");
    this.name = "KvWriteRejected";
  }
}

/** FNV-1a, 32-bit; the multiply by 16777619 is written as shifts to stay in int32. */
function hashKey(b: Uint8Array, off = 0, len = b.length): number {
  let h = 0x811c9dc5 | 0;
  for (let i = off; i < off + len; i++) {
    h ^= b[i];
    h = (h + (h << 1) + (h << 4) + (h << 7) + (h << 8) + (h << 24)) | 0;
  }
  return h;
}

export class MemoryKvStore implements KvStore {
  private slots = new Int32Array(1 << 12);
  private count = 0;
  private used = 0; // live + tombstones
  private readonly chunks: Uint8Array[] = [];
  private chunkOff = CHUNK_BYTES;
  private failures = 0;
  /** Number of successful writes, for tests that count batches. */
  writes = 0;
  /** `write` copies keys and values into the arena before it resolves. */
  readonly copiesWrites = true;

  get size(): number {
    return this.count;
  }

  failNextWrites(n = 1): void {
    this.failures = n;
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const i = this.find(key);
    return i < 0 ? undefined : this.value(this.slots[i] - 1).slice();
  }

  async write(batch: KvBatch): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new KvWriteRejected();
    }
    for (const p of batch.packed ?? []) {
      const x = p.index;
      const hashes = new Int32Array(p.count);
      for (let i = 0; i < p.count; i++) {
        const j = 6 * i;
        hashes[i] = hashKey(p.buffers[x[j]], x[j + 1], x[j + 2]);
      }
      const ahead = this.slotsOf(hashes);
      for (let i = 0; i < p.count; i++) {
        if (i + RECORD_AHEAD < p.count) this.touchRecord(ahead[i + RECORD_AHEAD]);
        const j = 6 * i;
        const key = p.buffers[x[j]];
        this.put(hashes[i], key, x[j + 1], x[j + 2], p.buffers[x[j + 3]], x[j + 4], x[j + 5]);
      }
    }
    for (const [key, value] of batch.puts) {
      this.put(hashKey(key), key, 0, key.length, value, 0, value.length);
    }
    for (const key of batch.dels) {
      const i = this.find(key);
      if (i >= 0) {
        this.slots[i] = TOMBSTONE;
        this.count--;
      }
    }
    this.writes++;
  }

  async *iterate(range: KvRange = {}): AsyncIterable<[Uint8Array, Uint8Array]> {
    let lo = range.gte;
    let hi = range.lt;
    if (range.prefix !== undefined) {
      if (lo === undefined || compare(range.prefix, lo) > 0) lo = range.prefix;
      const end = prefixEnd(range.prefix);
      if (end !== undefined && (hi === undefined || compare(end, hi) < 0)) hi = end;
    }
    // Snapshot the entries first: writes during iteration must not change what is seen.
    const out: [Uint8Array, Uint8Array][] = [];
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i];
      if (s <= 0) continue;
      const k = this.key(s - 1);
      if ((lo === undefined || compare(k, lo) >= 0) && (hi === undefined || compare(k, hi) < 0)) {
        out.push([k.slice(), this.value(s - 1).slice()]);
      }
    }
    out.sort((a, b) => compare(a[0], b[0]));
    if (range.reverse) out.reverse();
    yield* out;
  }

  /** Slot index holding key, or -1. */
  private find(key: Uint8Array): number {
    const mask = this.slots.length - 1;
    for (let i = hashKey(key) & mask; ; i = (i + 1) & mask) {
      const s = this.slots[i];
      if (s === EMPTY) return -1;
      if (s !== TOMBSTONE && this.keyEquals(s - 1, key, 0, key.length)) return i;
    }
  }

  /**
   * Each key's home slot, read for the whole batch before any put: independent loads, so
   * the processor overlaps their cache misses in a table of a million entries instead of
   * paying them one after another inside each put. The record a slot points to is loaded
   * RECORD_AHEAD puts before its own (`touchRecord`): loaded for the whole batch at once
   * here, the first records were evicted again by the bytes the later puts copy.
   */
  private slotsOf(hashes: Int32Array): Int32Array {
    const slots = this.slots;
    const mask = slots.length - 1;
    const pos = new Int32Array(hashes.length);
    for (let i = 0; i < hashes.length; i++) pos[i] = slots[hashes[i] & mask];
    return pos;
  }

  private touchRecord(slot: number): void {
    const s = slot - 1;
    if (s >= 0) this.warmSink ^= this.chunks[s >>> OFFSET_BITS][(s & OFFSET_MASK) << 2];
  }

  /**
   * The loads of touchRecord folded into one number, kept where the optimiser must assume
   * it is read, so that it cannot drop them as dead code. Meaningless otherwise.
   */
  warmSink = 0;

  /**
   * Puts key[ko, ko + kl) → value[vo, vo + vl) (ranges, so packed batches need no views);
   * `hash` is hashKey of the key.
   */
  private put(
    hash: number,
    key: Uint8Array,
    ko: number,
    kl: number,
    value: Uint8Array,
    vo: number,
    vl: number,
  ): void {
    if (2 * (this.used + 1) > this.slots.length) this.rehash();
    const mask = this.slots.length - 1;
    let free = -1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const s = this.slots[i];
      if (s === EMPTY) {
        if (free < 0) {
          free = i;
          this.used++;
        }
        break;
      }
      if (s === TOMBSTONE) {
        if (free < 0) free = i;
      } else if (this.keyEquals(s - 1, key, ko, kl)) {
        if (!this.overwrite(s - 1, kl, value, vo, vl)) {
          this.slots[i] = this.append(key, ko, kl, value, vo, vl) + 1;
        }
        return;
      }
    }
    this.slots[free] = this.append(key, ko, kl, value, vo, vl) + 1;
    this.count++;
  }

  /** Doubles the table when live keys fill it, else rebuilds it in place without tombstones. */
  private rehash(): void {
    const old = this.slots;
    const size = 4 * this.count > old.length ? 2 * old.length : old.length;
    this.slots = new Int32Array(size);
    const mask = size - 1;
    for (let j = 0; j < old.length; j++) {
      const s = old[j];
      if (s <= 0) continue;
      let i = hashKey(this.key(s - 1)) & mask;
      while (this.slots[i] !== EMPTY) i = (i + 1) & mask;
      this.slots[i] = s;
    }
    this.used = this.count;
  }

  /** Copies a record into the arena, 4-byte aligned; returns its position. */
  private append(
    key: Uint8Array,
    ko: number,
    kl: number,
    value: Uint8Array,
    vo: number,
    vl: number,
  ): number {
    const need = HEADER + kl + vl;
    if (kl > 0xffff || need > CHUNK_BYTES) throw new RangeError("memory kv: record too large");
    if (this.chunkOff + need > CHUNK_BYTES) {
      if (this.chunks.length === MAX_CHUNKS) throw new RangeError("memory kv: arena full (4 GiB)");
      this.chunks.push(new Uint8Array(CHUNK_BYTES));
      this.chunkOff = 0;
    }
    const c = this.chunks[this.chunks.length - 1];
    const off = this.chunkOff;
    c[off] = kl >>> 8;
    c[off + 1] = kl & 0xff;
    for (let i = 0; i < kl; i++) c[off + HEADER + i] = key[ko + i];
    // The bytes up to the next 4-byte boundary are the record's spare room.
    const end = (off + need + 3) & ~3;
    setValue(c, off, kl, value, vo, vl, end - off - need);
    this.chunkOff = end;
    return ((this.chunks.length - 1) << OFFSET_BITS) | (off >>> 2);
  }

  /** Rewrites the value of the record at pos in place if it fits its room; false if not. */
  private overwrite(pos: number, kl: number, value: Uint8Array, vo: number, vl: number): boolean {
    const c = this.chunks[pos >>> OFFSET_BITS];
    const off = (pos & OFFSET_MASK) << 2;
    const room = valueLength(c, off) + ((c[off + 6] << 8) | c[off + 7]);
    if (vl > room || room - vl > 0xffff) return false;
    setValue(c, off, kl, value, vo, vl, room - vl);
    return true;
  }

  private keyEquals(pos: number, key: Uint8Array, ko: number, kl: number): boolean {
    const c = this.chunks[pos >>> OFFSET_BITS];
    const off = (pos & OFFSET_MASK) << 2;
    if (((c[off] << 8) | c[off + 1]) !== kl) return false;
    for (let i = 0; i < kl; i++) if (c[off + HEADER + i] !== key[ko + i]) return false;
    return true;
  }

  private key(pos: number): Uint8Array {
    const c = this.chunks[pos >>> OFFSET_BITS];
    const off = (pos & OFFSET_MASK) << 2;
    return c.subarray(off + HEADER, off + HEADER + ((c[off] << 8) | c[off + 1]));
  }

  /** A view of a stored value, valid until the next write (callers copy it). */
  private value(pos: number): Uint8Array {
    const c = this.chunks[pos >>> OFFSET_BITS];
    const off = (pos & OFFSET_MASK) << 2;
    const kl = (c[off] << 8) | c[off + 1];
    return c.subarray(off + HEADER + kl, off + HEADER + kl + valueLength(c, off));
  }
}

function valueLength(c: Uint8Array, off: number): number {
  return ((c[off + 2] << 24) | (c[off + 3] << 16) | (c[off + 4] << 8) | c[off + 5]) >>> 0;
}

/** Writes the record at `off`'s value length, spare room and value bytes. */
function setValue(
  c: Uint8Array,
  off: number,
  kl: number,
  value: Uint8Array,
  vo: number,
  vl: number,
  spare: number,
): void {
  c[off + 2] = vl >>> 24;
  c[off + 3] = (vl >>> 16) & 0xff;
  c[off + 4] = (vl >>> 8) & 0xff;
  c[off + 5] = vl & 0xff;
  c[off + 6] = spare >>> 8;
  c[off + 7] = spare & 0xff;
  const at = off + HEADER + kl;
  if (vo === 0 && vl === value.length) c.set(value, at);
  // A view that dies at once (cheap, unlike one that lives through a commit).
  else if (vl > 64) c.set(value.subarray(vo, vo + vl), at);
  else for (let i = 0; i < vl; i++) c[at + i] = value[vo + i];
}

function compare(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
