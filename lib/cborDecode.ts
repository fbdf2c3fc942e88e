/**
 * A single-pass strict decoder for canonical CBOR (RFC 8949 section 4.2.1, core
 * deterministic encoding), the inverse of `encodeCanonical` (lib/cborEncode.ts). It replaces
 * cborg's strict decode followed by a canonical re-encode and byte comparison, and gives the
 * same verdicts and values (lib/cborDecode.test.ts checks that differentially), but for two
 * stricter cases marked below:
 *
 * - MALFORMED (what cborg's strict decode refused): empty or truncated input, trailing bytes,
 *   integers or lengths not in their shortest form, indefinite lengths and stray breaks,
 *   reserved additional information (28-30), tags, undefined, simple values other than
 *   false/true/null, NaN and ±Infinity, map keys that are not text strings, duplicate map
 *   keys; and nesting deeper than `MAX_DEPTH` (so no input can overflow the stack: before,
 *   the re-encode refused it as NON_CANONICAL).
 * - NON_CANONICAL (what only the re-encode caught): map keys not in strictly increasing
 *   bytewise order of their encodings, floats, text that is not valid UTF-8 or starts with
 *   a byte order mark; and the map key "__proto__" (before, accepted: cborg made it an own
 *   property, which the encoder wrote back identically).
 *
 * Every MALFORMED condition wins over NON_CANONICAL wherever it sits in the input (cborg
 * failed before the re-encode ran), so non-canonical findings are only recorded while
 * parsing and thrown once the whole input has parsed.
 *
 * Values: integers as `number` when safe, else `bigint`; byte strings as fresh copies; text
 * as strings; arrays; maps as plain objects with own enumerable properties. Where the input
 * is non-canonical the value is still the one cborg built (invalid UTF-8 becomes U+FFFD, a
 * leading BOM is dropped, floats are numbers), so keys that collide after that decoding are
 * duplicates exactly as for cborg, and `trusted` decoding (no NON_CANONICAL check) returns
 * what cborg's strict decode returned.
 *
 * Not reentrant (module-level cursor), which is fine: nothing it calls decodes.
 */
import { ErrorCode, PerpetuaError } from "./errors.js";

/** Deepest accepted nesting: an item inside `MAX_DEPTH` arrays/maps is the deepest allowed. */
export const MAX_DEPTH = 256;

/** Text decoding: strict for canonical input; cborg's lossy decoder to build the same values. */
const fatalUtf8 = new TextDecoder("utf-8", { fatal: true });
const lossyUtf8 = new TextDecoder();
/**
 * ASCII strings up to this length go through `textCache` (direct-mapped, by a hash); on a
 * miss, up to `CONCAT_MAX` bytes are built from char codes, which beats TextDecoder's call
 * overhead only that far (measured on Node 20: 8 bytes 46 ns vs 94 ns, 16 bytes 129 vs 97).
 */
const CACHED_MAX = 24;
const CONCAT_MAX = 12;
const CACHE_SHIFT = 22;
const textCache: string[] = new Array<string>(1 << (32 - CACHE_SHIFT)).fill("");

const TWO_32 = 0x100000000;
/** The high 32-bit word of a 64-bit argument at or above this is beyond 2^53 - 1. */
const HI_UNSAFE = 0x200000;

const EMPTY = new Uint8Array(0);
const floatScratch = new DataView(new ArrayBuffer(8));

// The cursor of the current decode.
let buf: Uint8Array = EMPTY;
let pos = 0;
let end = 0;
/** The first non-canonical finding of the current decode, thrown after parsing. */
let nonCanonical: string | null = null;
/** Whether the last text string decoded lossily (so its value may equal another's). */
let lossyText = false;

function malformed(why: string): never {
  throw new PerpetuaError(ErrorCode.MALFORMED, `malformed CBOR: ${why}`);
}

function flag(why: string): void {
  if (nonCanonical === null) nonCanonical = why;
}

function need(n: number): void {
  if (end - pos < n) malformed(`unexpected end of input at byte ${pos}`);
}

/** A length or count (major types 2-5), shortest form required. */
function readLength(ai: number): number {
  if (ai < 24) return ai;
  let v: number;
  switch (ai) {
    case 24:
      need(1);
      v = buf[pos];
      pos += 1;
      if (v < 24) break;
      return v;
    case 25:
      need(2);
      v = (buf[pos] << 8) | buf[pos + 1];
      pos += 2;
      if (v < 0x100) break;
      return v;
    case 26:
      need(4);
      v = buf[pos] * 0x1000000 + ((buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]);
      pos += 4;
      if (v < 0x10000) break;
      return v;
    case 27: {
      need(8);
      const hi = buf[pos] * 0x1000000 + ((buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]);
      const lo =
        buf[pos + 4] * 0x1000000 + ((buf[pos + 5] << 16) | (buf[pos + 6] << 8) | buf[pos + 7]);
      pos += 8;
      if (hi === 0) break;
      if (hi >= HI_UNSAFE) malformed("64-bit length beyond 2^53 - 1");
      // Never fits: the caller compares it with the bytes left.
      return hi * TWO_32 + lo;
    }
    case 31:
      malformed("indefinite lengths are not allowed");
      break;
    default:
      malformed(`reserved additional information ${ai}`);
  }
  return malformed(`argument at byte ${pos} not in its shortest form`);
}

/** The argument n of an integer (major 0 or 1), shortest form required; safe as number. */
function readUint(ai: number): number | bigint {
  if (ai !== 27) return readLength(ai);
  need(8);
  const hi = buf[pos] * 0x1000000 + ((buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]);
  const lo = buf[pos + 4] * 0x1000000 + ((buf[pos + 5] << 16) | (buf[pos + 6] << 8) | buf[pos + 7]);
  pos += 8;
  if (hi === 0) malformed(`argument at byte ${pos} not in its shortest form`);
  if (hi < HI_UNSAFE) return hi * TWO_32 + lo;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Text of `len` bytes at `pos` (bounds already checked); advances `pos`. */
function readText(len: number): string {
  const start = pos;
  const stop = start + len;
  pos = stop;
  lossyText = false;
  if (len <= CACHED_MAX) {
    // Short ASCII strings (map keys, enum values) come from a small cache, so the same
    // string object, internalized by its first use as a property key, is returned again.
    // The slot hashes the length and three bytes; a hit compares every byte (a cached
    // string is ASCII, so a match is too).
    const slot =
      len === 0
        ? 0
        : Math.imul(
            len ^ (buf[start] << 8) ^ (buf[stop - 1] << 16) ^ (buf[start + (len >> 1)] << 24),
            0x9e3779b1,
          ) >>> CACHE_SHIFT;
    const cached = textCache[slot];
    if (cached.length === len) {
      let j = 0;
      while (j < len && cached.charCodeAt(j) === buf[start + j]) j++;
      if (j === len) return cached;
    }
    let ascii = true;
    for (let k = start; k < stop; k++) {
      if (buf[k] >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      let s: string;
      if (len <= CONCAT_MAX) {
        s = "";
        for (let k = start; k < stop; k++) s += String.fromCharCode(buf[k]);
      } else {
        s = fatalUtf8.decode(buf.subarray(start, stop));
      }
      textCache[slot] = s;
      return s;
    }
  }
  const bytes = buf.subarray(start, stop);
  if (len >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) {
    // cborg's decoder drops a leading BOM, so the re-encode differed.
    flag("text starts with a byte order mark");
    lossyText = true;
    return lossyUtf8.decode(bytes);
  }
  try {
    return fatalUtf8.decode(bytes);
  } catch {
    flag("text is not valid UTF-8");
    lossyText = true;
    return lossyUtf8.decode(bytes);
  }
}

/** Bytewise order of two text keys with shortest-form heads: length first, then bytes. */
function compareKeys(aStart: number, aLen: number, bStart: number, bLen: number): number {
  if (aLen !== bLen) return aLen - bLen;
  for (let i = 0; i < aLen; i++) {
    const d = buf[aStart + i] - buf[bStart + i];
    if (d !== 0) return d;
  }
  return 0;
}

function readMap(len: number, depth: number): Record<string, unknown> {
  const obj: Record<string, unknown> = {};
  let prevStart = -1;
  let prevLen = 0;
  // Once keys are out of order or decoded lossily, equal byte runs no longer find every
  // duplicate: look each key up in the object, as cborg did.
  let slow = false;
  for (let i = 0; i < len; i++) {
    if (pos >= end) malformed(`unexpected end of input at byte ${pos}`);
    const ib = buf[pos];
    if (ib >> 5 !== 3) malformed(`map key at byte ${pos} is not a text string`);
    pos += 1;
    const klen = readLength(ib & 31);
    if (klen > end - pos) malformed(`text length ${klen} past the end at byte ${pos}`);
    const kStart = pos;
    const key = readText(klen);
    if (prevStart >= 0) {
      const c = compareKeys(prevStart, prevLen, kStart, klen);
      if (c === 0) malformed(`duplicate map key ${JSON.stringify(key)}`);
      if (c > 0) {
        flag("map keys are not in bytewise order");
        slow = true;
      }
    }
    if (lossyText) slow = true;
    if (slow && Object.hasOwn(obj, key)) malformed(`duplicate map key ${JSON.stringify(key)}`);
    const value = readItem(depth + 1);
    if (key === "__proto__") {
      // An own property, as cborg makes it; refused as canonical input all the same.
      flag('map key "__proto__"');
      Object.defineProperty(obj, key, {
        value,
        configurable: true,
        enumerable: true,
        writable: true,
      });
    } else {
      obj[key] = value;
    }
    prevStart = kStart;
    prevLen = klen;
  }
  return obj;
}

function readFloat(ai: number): number {
  switch (ai) {
    case 25: {
      need(2);
      const half = (buf[pos] << 8) | buf[pos + 1];
      pos += 2;
      const exp = (half >> 10) & 0x1f;
      if (exp === 31) malformed("NaN and Infinity are not allowed");
      const mant = half & 0x3ff;
      const v = exp === 0 ? mant * 2 ** -24 : (mant + 1024) * 2 ** (exp - 25);
      return half & 0x8000 ? -v : v;
    }
    case 26: {
      need(4);
      if ((buf[pos] & 0x7f) === 0x7f && buf[pos + 1] >= 0x80)
        malformed("NaN and Infinity are not allowed");
      for (let i = 0; i < 4; i++) floatScratch.setUint8(i, buf[pos + i]);
      pos += 4;
      return floatScratch.getFloat32(0);
    }
    default: {
      need(8);
      if ((buf[pos] & 0x7f) === 0x7f && buf[pos + 1] >= 0xf0)
        malformed("NaN and Infinity are not allowed");
      for (let i = 0; i < 8; i++) floatScratch.setUint8(i, buf[pos + i]);
      pos += 8;
      return floatScratch.getFloat64(0);
    }
  }
}

function readItem(depth: number): unknown {
  if (pos >= end) malformed(`unexpected end of input at byte ${pos}`);
  const ib = buf[pos];
  pos += 1;
  const ai = ib & 31;
  switch (ib >> 5) {
    case 0:
      return ai < 24 ? ai : readUint(ai);
    case 1: {
      if (ai < 24) return -1 - ai;
      const n = readUint(ai);
      if (typeof n === "number" && n < Number.MAX_SAFE_INTEGER) return -1 - n;
      return -1n - BigInt(n);
    }
    case 2: {
      const len = readLength(ai);
      if (len > end - pos) malformed(`byte string length ${len} past the end at byte ${pos}`);
      // A copy (`buf` is a plain Uint8Array, so this is not a Buffer view).
      const out = buf.slice(pos, pos + len);
      pos += len;
      return out;
    }
    case 3: {
      const len = readLength(ai);
      if (len > end - pos) malformed(`text length ${len} past the end at byte ${pos}`);
      return readText(len);
    }
    case 4: {
      const len = readLength(ai);
      // Every item takes at least one byte.
      if (len > end - pos) malformed(`array of ${len} items past the end at byte ${pos}`);
      if (len > 0 && depth >= MAX_DEPTH) malformed(`nesting deeper than ${MAX_DEPTH}`);
      const arr: unknown[] = [];
      for (let i = 0; i < len; i++) arr.push(readItem(depth + 1));
      return arr;
    }
    case 5: {
      const len = readLength(ai);
      if (len > (end - pos) / 2) malformed(`map of ${len} entries past the end at byte ${pos}`);
      if (len > 0 && depth >= MAX_DEPTH) malformed(`nesting deeper than ${MAX_DEPTH}`);
      return readMap(len, depth);
    }
    case 6:
      return malformed(`tag at byte ${pos - 1} (tags are not allowed)`);
    default:
      switch (ai) {
        case 20:
          return false;
        case 21:
          return true;
        case 22:
          return null;
        case 23:
          return malformed("undefined is not allowed");
        case 25:
        case 26:
        case 27: {
          const v = readFloat(ai);
          flag("contains a float");
          return v;
        }
        case 31:
          return malformed(`unexpected break at byte ${pos - 1}`);
        default:
          return malformed(`simple value or reserved byte 0x${ib.toString(16)} at byte ${pos - 1}`);
      }
  }
}

/** Moves `pos` past one item without building it: lengths checked as readItem does. */
function skipItem(depth: number): void {
  if (pos >= end) malformed(`unexpected end of input at byte ${pos}`);
  const ib = buf[pos];
  const major = ib >> 5;
  if (major === 2 || major === 3 || major === 4 || major === 5) {
    pos += 1;
    const len = readLength(ib & 31);
    if (major <= 3) {
      if (len > end - pos) malformed(`string length ${len} past the end at byte ${pos}`);
      pos += len;
      return;
    }
    const items = major === 4 ? len : 2 * len;
    if (items > end - pos) malformed(`${items} items past the end at byte ${pos}`);
    if (items > 0 && depth >= MAX_DEPTH) malformed(`nesting deeper than ${MAX_DEPTH}`);
    for (let i = 0; i < items; i++) skipItem(depth + 1);
    return;
  }
  readItem(depth); // an integer, a simple value or a float: nothing worth skipping
}

/** Points the cursor at the start of `bytes`. */
function begin(bytes: Uint8Array): void {
  // A Buffer's slice() is a view: read through a plain Uint8Array over the same memory.
  buf =
    bytes.constructor === Uint8Array
      ? bytes
      : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  pos = 0;
  end = bytes.length;
  nonCanonical = null;
}

/**
 * The bytes of one element of nested arrays, found without decoding the elements before it:
 * `path` gives the index at each level (for [a, [b, c, d]], path [1, 2] gives d's bytes).
 * Undefined when an index is past its array's end. For reading one entry out of a large
 * stored record; the bytes are a view of `bytes`, to decode as usual.
 */
export function elementBytes(bytes: Uint8Array, path: readonly number[]): Uint8Array | undefined {
  begin(bytes);
  try {
    for (const index of path) {
      if (pos >= end) malformed(`unexpected end of input at byte ${pos}`);
      const ib = buf[pos];
      if (ib >> 5 !== 4) malformed(`expected an array at byte ${pos}`);
      pos += 1;
      const len = readLength(ib & 31);
      if (!Number.isSafeInteger(index) || index < 0 || index >= len) return undefined;
      for (let i = 0; i < index; i++) skipItem(1);
    }
    const start = pos;
    skipItem(0);
    return bytes.subarray(start, pos);
  } finally {
    buf = EMPTY;
  }
}

/**
 * Decodes one canonical CBOR item filling all of `bytes`. Throws PerpetuaError MALFORMED or
 * NON_CANONICAL (see the module comment); with `trusted`, non-canonical input is decoded as
 * cborg's strict decode did instead of refused.
 */
export function decodeCanonical(bytes: Uint8Array, trusted = false): unknown {
  begin(bytes);
  let value: unknown;
  try {
    if (end === 0) malformed("empty input");
    value = readItem(0);
    if (pos !== end) malformed(`${end - pos} trailing bytes after the value`);
  } finally {
    buf = EMPTY;
  }
  if (nonCanonical !== null && !trusted) {
    throw new PerpetuaError(ErrorCode.NON_CANONICAL, `non-canonical CBOR: ${nonCanonical}`);
  }
  return value;
}
