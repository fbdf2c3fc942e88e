/**
 * A fast canonical CBOR encoder (RFC 8949 section 4.2.1, core deterministic encoding) for
 * the value types perpetua hashes and signs: null, booleans, safe-integer numbers, bigints
 * in [−2^64, 2^64), text strings, byte strings, arrays and plain objects with text keys.
 * Floats and undefined are refused. The output is byte-identical to cborg with
 * `rfc8949EncodeOptions` (lib/cborEncode.test.ts checks that on random values); it exists
 * because cborg's general token pipeline costs ~5 µs for a small record, which dominated
 * block execution (every order record is encoded for the app hash).
 *
 * Map keys sort bytewise by their encoding: for text keys that is shorter UTF-8 first, then
 * bytewise, because the length sits in the header.
 */
import { ErrorCode, PerpetuaError } from "./errors.js";

const MAX_U64 = (1n << 64n) - 1n;
const textEncoder = new TextEncoder();

class Writer {
  buf = new Uint8Array(256);
  pos = 0;

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** Major type `major` with argument `n` (a non-negative safe integer), shortest form. */
  head(major: number, n: number): void {
    const m = major << 5;
    this.ensure(9);
    const b = this.buf;
    if (n < 24) {
      b[this.pos++] = m | n;
    } else if (n < 0x100) {
      b[this.pos++] = m | 24;
      b[this.pos++] = n;
    } else if (n < 0x10000) {
      b[this.pos++] = m | 25;
      b[this.pos++] = n >>> 8;
      b[this.pos++] = n & 0xff;
    } else if (n < 0x100000000) {
      b[this.pos++] = m | 26;
      b[this.pos++] = n >>> 24;
      b[this.pos++] = (n >>> 16) & 0xff;
      b[this.pos++] = (n >>> 8) & 0xff;
      b[this.pos++] = n & 0xff;
    } else {
      b[this.pos++] = m | 27;
      const hi = Math.floor(n / 0x100000000);
      const lo = n >>> 0;
      b[this.pos++] = hi >>> 24;
      b[this.pos++] = (hi >>> 16) & 0xff;
      b[this.pos++] = (hi >>> 8) & 0xff;
      b[this.pos++] = hi & 0xff;
      b[this.pos++] = lo >>> 24;
      b[this.pos++] = (lo >>> 16) & 0xff;
      b[this.pos++] = (lo >>> 8) & 0xff;
      b[this.pos++] = lo & 0xff;
    }
  }

  headBig(major: number, n: bigint): void {
    if (n <= BigInt(Number.MAX_SAFE_INTEGER)) {
      this.head(major, Number(n));
      return;
    }
    this.ensure(9);
    this.buf[this.pos++] = (major << 5) | 27;
    for (let shift = 56n; shift >= 0n; shift -= 8n)
      this.buf[this.pos++] = Number((n >> shift) & 0xffn);
  }

  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  text(s: string): void {
    // ASCII fast path, in one pass: written as one byte per char, and rewound to the UTF-8
    // encoder at the first char that is not ASCII.
    const n = s.length;
    const start = this.pos;
    this.head(3, n);
    this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) {
        this.pos = start;
        const enc = textEncoder.encode(s);
        this.head(3, enc.length);
        this.bytes(enc);
        return;
      }
      b[p++] = c;
    }
    this.pos = p;
  }
}

function fail(why: string): never {
  throw new PerpetuaError(ErrorCode.INVALID_FIELD, `canonical CBOR: ${why}`);
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** RFC 8949 key order for text keys: shorter encoding first, then bytewise. */
function compareKeys(a: string, b: string): number {
  const la = utf8Length(a);
  const lb = utf8Length(b);
  if (la !== lb) return la - lb;
  if (la === a.length && lb === b.length) return a < b ? -1 : a > b ? 1 : 0;
  const ea = textEncoder.encode(a);
  const eb = textEncoder.encode(b);
  for (let i = 0; i < ea.length; i++) if (ea[i] !== eb[i]) return ea[i] - eb[i];
  return 0;
}

const keyOrderCache = new Map<string, string[]>();

/**
 * The few object shapes that recur (message results, events) are found by comparing their
 * key lists element by element, without building the signature string.
 */
const RECENT_SHAPES = 16;
const recentKeys: string[][] = [];
const recentSorted: string[][] = [];

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sortedKeys(obj: object): string[] {
  const keys = Object.keys(obj);
  for (let i = 0; i < recentKeys.length; i++) {
    // Equal key lists (same names, same order) sort the same: no NUL ambiguity here.
    if (sameKeys(recentKeys[i], keys)) return recentSorted[i];
  }
  const sig = `${keys.length}\u0000${keys.join("\u0000")}`;
  let sorted = keyOrderCache.get(sig);
  // The signature can collide for keys containing NUL: verify the cached order names
  // exactly these keys before trusting it.
  if (sorted && !sorted.every((k) => Object.hasOwn(obj, k))) return keys.slice().sort(compareKeys);
  if (!sorted) {
    sorted = keys.slice().sort(compareKeys);
    if (keyOrderCache.size > 4096) keyOrderCache.clear();
    keyOrderCache.set(sig, sorted);
  }
  if (recentKeys.length >= RECENT_SHAPES) {
    recentKeys.pop();
    recentSorted.pop();
  }
  recentKeys.unshift(keys);
  recentSorted.unshift(sorted);
  return sorted;
}

function write(w: Writer, v: unknown, depth: number): void {
  if (depth > 256) fail("nesting too deep");
  switch (typeof v) {
    case "number":
      if (!Number.isSafeInteger(v)) fail(`${v} is not a safe integer (floats are not allowed)`);
      if (v >= 0) w.head(0, v);
      else w.head(1, -1 - v);
      return;
    case "bigint":
      if (v >= 0n) {
        if (v > MAX_U64) fail("integer above 2^64 - 1");
        w.headBig(0, v);
      } else {
        const n = -1n - v;
        if (n > MAX_U64) fail("integer below -2^64");
        w.headBig(1, n);
      }
      return;
    case "string":
      w.text(v);
      return;
    case "boolean":
      w.ensure(1);
      w.buf[w.pos++] = v ? 0xf5 : 0xf4;
      return;
    case "undefined":
      fail("undefined is not allowed");
      return;
    case "object": {
      if (v === null) {
        w.ensure(1);
        w.buf[w.pos++] = 0xf6;
        return;
      }
      if (v instanceof Uint8Array) {
        w.head(2, v.length);
        w.bytes(v);
        return;
      }
      if (Array.isArray(v)) {
        w.head(4, v.length);
        for (let i = 0; i < v.length; i++) write(w, v[i], depth + 1);
        return;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) fail("unsupported object type");
      const keys = sortedKeys(v);
      const o = v as Record<string, unknown>;
      w.head(5, keys.length);
      for (const k of keys) {
        w.text(k);
        write(w, o[k], depth + 1);
      }
      return;
    }
    default:
      fail(`unsupported type ${typeof v}`);
  }
}

const shared = new Writer();

/**
 * The shared writers keep a buffer up to this size between calls. A block's results run to
 * megabytes at devnet load: dropping the buffer after each one meant growing it again by
 * doubling (~20 copies and fresh zeroed pages) for the next.
 */
const KEEP_BUFFER_BYTES = 1 << 24;

export function encodeCanonical(value: unknown): Uint8Array {
  shared.pos = 0;
  try {
    write(shared, value, 0);
  } catch (e) {
    shared.pos = 0;
    if (shared.buf.length > KEEP_BUFFER_BYTES) shared.buf = new Uint8Array(256);
    throw e;
  }
  const out = shared.buf.slice(0, shared.pos);
  if (shared.buf.length > KEEP_BUFFER_BYTES) shared.buf = new Uint8Array(256);
  return out;
}

/**
 * A canonical CBOR writer for records of a fixed shape, written field by field by their
 * codec (state/exchange/codec.ts): the bytes are exactly those `encodeCanonical` gives the
 * equivalent value (the same heads and checks), without walking a generic value. Not
 * reentrant: `begin()` starts a record, `end()` returns a copy of its bytes.
 */
export class RecordWriter {
  private readonly w = new Writer();

  begin(): this {
    this.w.pos = 0;
    return this;
  }

  array(length: number): this {
    this.w.head(4, length);
    return this;
  }

  /** A map head; the caller writes its keys in canonical order (`compareKeys`). */
  map(size: number): this {
    this.w.head(5, size);
    return this;
  }

  /** A safe integer (number), as `encodeCanonical` writes numbers. */
  int(v: number): this {
    if (!Number.isSafeInteger(v)) fail(`${v} is not a safe integer (floats are not allowed)`);
    if (v >= 0) this.w.head(0, v);
    else this.w.head(1, -1 - v);
    return this;
  }

  big(v: bigint): this {
    if (v >= 0n) {
      if (v > MAX_U64) fail("integer above 2^64 - 1");
      this.w.headBig(0, v);
    } else {
      const n = -1n - v;
      if (n > MAX_U64) fail("integer below -2^64");
      this.w.headBig(1, n);
    }
    return this;
  }

  text(s: string): this {
    if (typeof s !== "string") fail(`expected a text string, got ${typeof s}`);
    this.w.text(s);
    return this;
  }

  bool(b: boolean): this {
    if (typeof b !== "boolean") fail(`expected a boolean, got ${typeof b}`);
    this.w.ensure(1);
    this.w.buf[this.w.pos++] = b ? 0xf5 : 0xf4;
    return this;
  }

  null(): this {
    this.w.ensure(1);
    this.w.buf[this.w.pos++] = 0xf6;
    return this;
  }

  /** Any value, through the generic encoder's rules (for the rare fields). */
  value(v: unknown): this {
    write(this.w, v, 1);
    return this;
  }

  /** A byte string. */
  bytes(b: Uint8Array): this {
    if (!(b instanceof Uint8Array)) fail("expected a byte string");
    this.w.head(2, b.length);
    this.w.bytes(b);
    return this;
  }

  end(): Uint8Array {
    const out = this.w.buf.slice(0, this.w.pos);
    this.w.pos = 0;
    if (this.w.buf.length > KEEP_BUFFER_BYTES) this.w.buf = new Uint8Array(256);
    return out;
  }
}
