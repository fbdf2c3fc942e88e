import { decode as cborgDecode } from "cborg";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { equalBytes, fromHex } from "./bytes.js";
import { decode, decodeTrusted, encode } from "./cbor.js";
import { elementBytes, MAX_DEPTH } from "./cborDecode.js";
import { ErrorCode, PerpetuaError } from "./errors.js";

/** The options lib/cbor.ts gave cborg before the hand-written decoder. */
const cborgOptions = {
  strict: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: true,
  rejectDuplicateMapKeys: true,
};

/** The previous `decode` of lib/cbor.ts: cborg's strict decode, then re-encode and compare. */
function referenceDecode(bytes: Uint8Array): unknown {
  let value: unknown;
  try {
    value = cborgDecode(bytes, cborgOptions);
  } catch (e) {
    throw new PerpetuaError(ErrorCode.MALFORMED, `malformed CBOR: ${(e as Error).message}`);
  }
  let again: Uint8Array;
  try {
    again = encode(value);
  } catch {
    throw new PerpetuaError(ErrorCode.NON_CANONICAL, "non-canonical CBOR: contains a float");
  }
  if (!equalBytes(again, bytes)) {
    throw new PerpetuaError(ErrorCode.NON_CANONICAL, "non-canonical CBOR encoding");
  }
  return value;
}

/** The previous `decodeTrusted`: cborg's strict decode alone. */
function referenceTrusted(bytes: Uint8Array): unknown {
  try {
    return cborgDecode(bytes, cborgOptions);
  } catch (e) {
    throw new PerpetuaError(ErrorCode.MALFORMED, `malformed CBOR: ${(e as Error).message}`);
  }
}

/**
 * Strict structural equality of decoded values: same types (bigint vs number, plain
 * Uint8Array), Object.is on numbers, own keys in the same order. (Vitest's toStrictEqual
 * compares `.constructor`, which is an ordinary own key of some decoded maps.)
 */
function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a !== typeof b) return false;
  if (typeof a !== "object" || a === null || b === null) return Object.is(a, b);
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Uint8Array) return equalBytes(a, b as Uint8Array);
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => sameValue(x, bb[i]));
  }
  const ka = Reflect.ownKeys(a);
  const kb = Reflect.ownKeys(b as object);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] !== kb[i]) return false;
    const da = Object.getOwnPropertyDescriptor(a, ka[i]);
    const db = Object.getOwnPropertyDescriptor(b, kb[i]);
    if (!da?.enumerable || !db?.enumerable || !da.writable || !db.writable) return false;
    if (!sameValue(da.value, db.value)) return false;
  }
  return true;
}

function expectSame(got: unknown, want: unknown, what = ""): void {
  if (!sameValue(got, want)) expect(got, what).toStrictEqual(want);
  expect(sameValue(got, want), what).toBe(true);
}

type Outcome = { ok: true; value: unknown } | { ok: false; code: number; message: string };

function outcome(f: () => unknown): Outcome {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    if (!(e instanceof PerpetuaError)) throw e;
    return { ok: false, code: e.code, message: e.message };
  }
}

function codeOf(f: () => unknown): number | undefined {
  const o = outcome(f);
  return o.ok ? undefined : o.code;
}

/** Whether a decoded value holds a map with the own key "__proto__" (accepted by the old path). */
function hasProtoKey(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasProtoKey);
  if (v === null || typeof v !== "object" || v instanceof Uint8Array) return false;
  if (Object.hasOwn(v, "__proto__")) return true;
  return Object.values(v).some(hasProtoKey);
}

/**
 * New and old decoders agree: the same error code, or strictly equal values. The one
 * intended difference: a "__proto__" map key, which the old path accepted (cborg makes it
 * an own property and the re-encode matches), is now refused as NON_CANONICAL.
 */
function expectSameVerdict(bytes: Uint8Array): void {
  const got = outcome(() => decode(bytes));
  const want = outcome(() => referenceDecode(bytes));
  if (want.ok && hasProtoKey(want.value)) {
    expect(got.ok ? "accepted" : got.code).toBe(ErrorCode.NON_CANONICAL);
    return;
  }
  if (!want.ok || !got.ok) {
    expect(
      got.ok ? "accepted" : got.code,
      `${Buffer.from(bytes).toString("hex")}: ${want.ok ? "accepted" : want.message}`,
    ).toBe(want.ok ? "accepted" : want.code);
    return;
  }
  expectSame(got.value, want.value, Buffer.from(bytes).toString("hex"));
  // And decodeTrusted matches cborg's strict decode alone (it returns non-canonical values).
  const gotT = outcome(() => decodeTrusted(bytes));
  const wantT = outcome(() => referenceTrusted(bytes));
  if (wantT.ok && gotT.ok) expectSame(gotT.value, wantT.value);
  else expect(gotT.ok ? "accepted" : gotT.code).toBe(wantT.ok ? "accepted" : wantT.code);
}

/** decodeTrusted and cborg's strict decode agree (a separate check: more inputs reach it). */
function expectSameTrusted(bytes: Uint8Array): void {
  const got = outcome(() => decodeTrusted(bytes));
  const want = outcome(() => referenceTrusted(bytes));
  if (want.ok && got.ok) {
    expectSame(got.value, want.value, Buffer.from(bytes).toString("hex"));
    return;
  }
  expect(got.ok ? "accepted" : got.code, Buffer.from(bytes).toString("hex")).toBe(
    want.ok ? "accepted" : want.code,
  );
}

// ---- generators ------------------------------------------------------------------------

/** Map keys without "__proto__" (fast-check injects it; it has its own test). */
const key = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 4 }),
  fc.constantFrom("a", "b", "aa", "kind", "to", "amount", "body", "signature"),
);

/** Values `encode` accepts, as in lib/cborEncode.test.ts. */
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.integer(),
    fc.maxSafeInteger(),
    fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }),
    fc.constantFrom(
      2 ** 53 - 1,
      2n ** 53n,
      -(2 ** 53) + 1,
      -(2n ** 53n),
      2n ** 64n - 1n,
      -(2n ** 64n),
      2 ** 32,
      -(2 ** 32) - 1,
    ),
    fc.string({ unit: "grapheme" }),
    fc.string({ maxLength: 80 }),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 80 }),
    fc.array(tie("v"), { maxLength: 6 }),
    fc.dictionary(key, tie("v"), { maxKeys: 6 }).filter((o) => !Object.hasOwn(o, "__proto__")),
  ),
})).v;

/** A head with argument `n` in a chosen width (0 = in the initial byte), shortest or not. */
function head(major: number, n: bigint, width: number): number[] {
  const m = major << 5;
  if (width === 0) return [m | Number(n)];
  const ai = { 1: 24, 2: 25, 4: 26, 8: 27 }[width] as number;
  const out = [m | ai];
  for (let i = width - 1; i >= 0; i--) out.push(Number((n >> BigInt(8 * i)) & 0xffn));
  return out;
}

const widthFor = (n: bigint) =>
  n < 24n ? 0 : n < 0x100n ? 1 : n < 0x10000n ? 2 : n < 2n ** 32n ? 4 : 8;

/** An argument encoded in its shortest form usually, sometimes in a wider one. */
const arg = (major: number, n: bigint) =>
  fc
    .oneof(
      { weight: 8, arbitrary: fc.constant(widthFor(n)) },
      { weight: 1, arbitrary: fc.constantFrom(1, 2, 4, 8) },
    )
    .map((w) => (w < widthFor(n) ? widthFor(n) : w))
    .map((w) => head(major, n, w));

const textBytes = fc.oneof(
  fc.string({ maxLength: 10 }).map((s) => [...new TextEncoder().encode(s)]),
  fc.string({ unit: "grapheme", maxLength: 6 }).map((s) => [...new TextEncoder().encode(s)]),
  fc.constantFrom("a", "b", "aa", "__proto__", "constructor").map((s) => [...Buffer.from(s)]),
  // invalid UTF-8, a leading BOM, encoded surrogates, overlong forms
  fc.uint8Array({ maxLength: 6 }).map((b) => [...b]),
  fc.string({ maxLength: 4 }).map((s) => [0xef, 0xbb, 0xbf, ...Buffer.from(s)]),
  fc.constantFrom([0xff], [0xfe], [0xed, 0xa0, 0x80], [0xc0, 0x80], [0xef, 0xbf, 0xbd]),
);

/**
 * Loosely CBOR-shaped bytes: items with wide heads, floats, tags, simple values, breaks,
 * indefinite lengths, invalid text, unsorted and duplicate map keys, wrong counts.
 */
const loose: fc.Arbitrary<readonly number[]> = fc.letrec<{ item: readonly number[] }>((tie) => ({
  item: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc
      .tuple(fc.constantFrom(0, 1), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))
      .chain(([m, n]) => arg(m, n)),
    fc
      .tuple(fc.constantFrom(0, 1), fc.constantFrom(0n, 23n, 24n, 255n, 256n, 2n ** 53n - 1n))
      .chain(([m, n]) => arg(m, n)),
    fc.uint8Array({ maxLength: 8 }).chain((b) => arg(2, BigInt(b.length)).map((h) => [...h, ...b])),
    textBytes.chain((t) => arg(3, BigInt(t.length)).map((h) => [...h, ...t])),
    fc
      .tuple(
        fc.array(tie("item"), { maxLength: 3 }),
        fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 0, 1, -1),
      )
      .chain(([items, d]) =>
        arg(4, BigInt(Math.max(0, items.length + d))).map((h) => [...h, ...items.flat()]),
      ),
    fc
      .tuple(
        fc.array(
          fc.tuple(
            fc.oneof(
              {
                weight: 6,
                arbitrary: textBytes.map((t) => [
                  ...head(3, BigInt(t.length), widthFor(BigInt(t.length))),
                  ...t,
                ]),
              },
              { weight: 1, arbitrary: tie("item") },
            ),
            tie("item"),
          ),
          { maxLength: 4 },
        ),
        fc.boolean(),
        fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 0, 1, -1),
      )
      .chain(([entries, sort, d]) => {
        if (sort) entries.sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        return arg(5, BigInt(Math.max(0, entries.length + d))).map((h) => [
          ...h,
          ...entries.flatMap(([k, v]) => [...k, ...v]),
        ]);
      }),
    fc.constantFrom([0xf4], [0xf5], [0xf6]),
    // always malformed: undefined, breaks, simple values, tags, indefinite, reserved
    fc.oneof(
      fc.constantFrom([0xf7], [0xff], [0xf8, 0x20], [0xe0], [0xfc]),
      fc.tuple(fc.integer({ min: 0xc0, max: 0xdf }), tie("item")).map(([t, v]) => [t, ...v]),
      fc
        .tuple(fc.constantFrom(0x9f, 0xbf, 0x5f, 0x7f), tie("item"))
        .map(([h, v]) => [h, ...v, 0xff]),
      fc.constantFrom(0x1c, 0x3d, 0x5e, 0x7c, 0x9c, 0xbd, 0xdc, 0xfd).map((b) => [b]),
    ),
    // floats: random bits, and the special values
    fc.uint8Array({ minLength: 2, maxLength: 2 }).map((b) => [0xf9, ...b]),
    fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => [0xfa, ...b]),
    fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => [0xfb, ...b]),
    fc.constantFrom(
      [0xf9, 0x7c, 0x00],
      [0xf9, 0xfc, 0x00],
      [0xf9, 0x7e, 0x00],
      [0xf9, 0x80, 0x00],
      [0xf9, 0x3c, 0x00],
      [0xfa, 0x7f, 0x80, 0x00, 0x00],
      [0xfa, 0x7f, 0xc0, 0x00, 0x01],
      [0xfb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0],
      [0xfb, 0xff, 0xf8, 0, 0, 0, 0, 0, 1],
      [0xfb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0],
    ),
  ),
})).item;

/** Differential cases per property; CBOR_FUZZ_RUNS=1000000 for a longer search. */
const RUNS = Number(process.env.CBOR_FUZZ_RUNS) || 20_000;

type Mutation = { at: number; op: "flip" | "set" | "insert" | "delete" | "truncate"; b: number };

const interesting = [
  0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x38, 0x40, 0x58, 0x5f, 0x60, 0x61, 0x78, 0x7f,
  0x80, 0x81, 0x9f, 0xa0, 0xa1, 0xbf, 0xc2, 0xf4, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xff, 0x80,
];

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom("flip", "set", "set", "insert", "delete", "truncate"),
  b: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...interesting)),
});

/** No mutation two times in three: the generator makes non-canonical input on its own. */
const mutations = fc.oneof(
  { weight: 2, arbitrary: fc.constant([]) },
  { weight: 1, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 2 }) },
);

function mutate(bytes: Uint8Array, muts: readonly Mutation[]): Uint8Array {
  const a = [...bytes];
  for (const m of muts) {
    const i = a.length === 0 ? 0 : m.at % (a.length + (m.op === "insert" ? 1 : 0));
    switch (m.op) {
      case "flip":
        if (a.length) a[i] ^= 1 << (m.b & 7);
        break;
      case "set":
        if (a.length) a[i] = m.b;
        break;
      case "insert":
        a.splice(i, 0, m.b);
        break;
      case "delete":
        a.splice(i, 1);
        break;
      case "truncate":
        a.length = i;
        break;
    }
  }
  return Uint8Array.from(a);
}

describe("single-pass canonical CBOR decoder", () => {
  it("decodes random canonical values as cborg does, and they re-encode to the same bytes", () => {
    fc.assert(
      fc.property(value, (v) => {
        const bytes = encode(v);
        const back = decode(bytes);
        expectSame(back, cborgDecode(bytes, cborgOptions));
        expectSame(decodeTrusted(bytes), back);
        expect(equalBytes(encode(back), bytes)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it("agrees with cborg + re-encode on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (b) => {
        expectSameVerdict(b);
        expectSameTrusted(b);
      }),
      { numRuns: RUNS },
    );
  });

  it("agrees with cborg + re-encode on mutated canonical encodings", () => {
    fc.assert(
      fc.property(value, fc.array(mutation, { minLength: 1, maxLength: 3 }), (v, muts) => {
        const b = mutate(encode(v), muts);
        expectSameVerdict(b);
        expectSameTrusted(b);
      }),
      { numRuns: RUNS },
    );
  });

  it("agrees with cborg + re-encode on loosely CBOR-shaped bytes, mutated or not", () => {
    fc.assert(
      fc.property(loose, mutations, (b, muts) => {
        const bytes = mutate(Uint8Array.from(b), muts);
        expectSameVerdict(bytes);
        expectSameTrusted(bytes);
      }),
      { numRuns: RUNS },
    );
  });

  it("returns byte strings as fresh plain copies, also from a Buffer", () => {
    const input = Buffer.from(encode([new Uint8Array([1, 2, 3]), new Uint8Array(40).fill(9)]));
    const out = decode(input) as Uint8Array[];
    expect(Object.getPrototypeOf(out[0])).toBe(Uint8Array.prototype);
    expect(Object.getPrototypeOf(out[1])).toBe(Uint8Array.prototype);
    out[0][0] = 99;
    out[1][0] = 99;
    expect(input[2]).toBe(1);
    expect(out[0].buffer).not.toBe(input.buffer);
    expect(out[1].buffer).not.toBe(input.buffer);
    expect(decode(fromHex("40"))).toStrictEqual(new Uint8Array(0));
  });

  it("decodes integer boundaries as number or bigint like cborg", () => {
    const cases: [string, number | bigint][] = [
      ["17", 23],
      ["1818", 24],
      ["18ff", 255],
      ["190100", 256],
      ["1a00010000", 65536],
      ["1b0000000100000000", 2 ** 32],
      ["1b001fffffffffffff", 2 ** 53 - 1],
      ["1b0020000000000000", 2n ** 53n],
      ["1bffffffffffffffff", 2n ** 64n - 1n],
      ["20", -1],
      ["37", -24],
      ["3818", -25],
      ["3b001ffffffffffffe", -(2 ** 53) + 1],
      // n = 2^53 - 1 is safe but -1 - n = -2^53 is not: bigint
      ["3b001fffffffffffff", -(2n ** 53n)],
      ["3bffffffffffffffff", -(2n ** 64n)],
    ];
    for (const [hex, want] of cases) {
      expect(decode(fromHex(hex)), hex).toBe(want);
      expect(cborgDecode(fromHex(hex), cborgOptions), hex).toBe(want);
      expect(encode(want)).toStrictEqual(fromHex(hex));
    }
  });

  it("refuses every malformed form as MALFORMED", () => {
    const malformed = [
      "", // empty
      "1801", // 1 in two bytes
      "190017", // 23 in three bytes
      "1900ff", // 255 in three bytes
      "1a0000ffff", // 65535 in five bytes
      "1b00000000ffffffff", // 2^32 - 1 in nine bytes
      "3817", // -24 in two bytes
      "5801ff", // byte string length 1 in two bytes
      "780161", // text length 1 in two bytes
      "980101", // array length in two bytes
      "b80161610101", // map length in two bytes
      "9f01ff", // indefinite array
      "bf616101ff", // indefinite map
      "5f4101ff", // indefinite byte string
      "7f6161ff", // indefinite text
      "ff", // stray break
      "8101ff", // break after a complete array
      "a2616101616102", // duplicate keys
      "a3616101616202616103", // duplicate keys, not adjacent
      "0101", // trailing bytes
      "f7", // undefined
      "f0", // simple value 16
      "f820", // simple value 32
      "fc", // reserved
      "1c", // reserved additional information
      "c249010000000000000000", // tag 2 (bignum)
      "c0", // tag with no content
      "d82001", // tag 32
      "f97c00", // +Infinity
      "f9fc00", // -Infinity
      "f97e00", // NaN
      "fa7fc00000", // NaN (float32)
      "fb7ff0000000000000", // +Infinity (float64)
      "a10101", // integer map key
      "a1410101", // byte string map key
      "a1f601", // null map key
      "18", // truncated argument
      "1b00000000", // truncated 8-byte argument
      "4201", // byte string past the end
      "6261", // text past the end
      "8201", // array with a missing item
      "a26161", // map with a missing value
      "a1616101a0", // extra byte after the map
      "9b0000000100000000", // 2^32 items
      "5b0020000000000000", // 2^53 byte length
      "fa7f80", // truncated float
    ];
    for (const hex of malformed) {
      expect(
        codeOf(() => decode(fromHex(hex))),
        hex,
      ).toBe(ErrorCode.MALFORMED);
      expect(
        codeOf(() => referenceDecode(fromHex(hex))),
        hex,
      ).toBe(ErrorCode.MALFORMED);
      expect(
        codeOf(() => decodeTrusted(fromHex(hex))),
        hex,
      ).toBe(ErrorCode.MALFORMED);
    }
  });

  it("refuses well-formed but non-canonical CBOR as NON_CANONICAL", () => {
    const nonCanonical = [
      "a2616201616102", // {"b":1,"a":2}: keys out of order
      "a262616101616202", // {"aa":1,"b":2}: longer key first
      "a3616101616302616202", // third key below the second
      "f93c00", // 1.0 as a half float
      "f98000", // -0.0
      "fa3fc00000", // 1.5 as float32
      "fb4000000000000000", // 2.0 as float64
      "8201f93e00", // a float inside an array
      "61ff", // invalid UTF-8
      "62c080", // overlong NUL
      "63eda080", // an encoded surrogate
      "63efbbbf", // a lone byte order mark (cborg drops it)
      "64efbbbf61", // BOM then "a"
      "a161ff01", // invalid UTF-8 map key
    ];
    for (const hex of nonCanonical) {
      expect(
        codeOf(() => decode(fromHex(hex))),
        hex,
      ).toBe(ErrorCode.NON_CANONICAL);
      expect(
        codeOf(() => referenceDecode(fromHex(hex))),
        hex,
      ).toBe(ErrorCode.NON_CANONICAL);
      // decodeTrusted returns what cborg's strict decode returned
      expectSame(decodeTrusted(fromHex(hex)), cborgDecode(fromHex(hex), cborgOptions), hex);
    }
  });

  it("lets MALFORMED win over NON_CANONICAL wherever it sits", () => {
    // unsorted keys, then a trailing byte
    expect(codeOf(() => decode(fromHex("a261620161610200")))).toBe(ErrorCode.MALFORMED);
    // a float, then undefined
    expect(codeOf(() => decode(fromHex("82f93c00f7")))).toBe(ErrorCode.MALFORMED);
    // keys that collide once decoded as cborg did: invalid UTF-8 becomes U+FFFD
    expect(codeOf(() => decode(fromHex("a261fe0161ff02")))).toBe(ErrorCode.MALFORMED);
    expect(codeOf(() => decode(fromHex("a261ff0163efbfbd02")))).toBe(ErrorCode.MALFORMED);
    // and a leading BOM is dropped: "\uFEFFa" is "a"
    expect(codeOf(() => decode(fromHex("a261610164efbbbf6102")))).toBe(ErrorCode.MALFORMED);
    // unsorted keys with a duplicate two entries apart
    expect(codeOf(() => decode(fromHex("a3616201616102616203")))).toBe(ErrorCode.MALFORMED);
    for (const hex of [
      "a261620161610200",
      "82f93c00f7",
      "a261fe0161ff02",
      "a261ff0163efbfbd02",
      "a261610164efbbbf6102",
      "a3616201616102616203",
    ]) {
      expect(
        codeOf(() => referenceDecode(fromHex(hex))),
        hex,
      ).toBe(ErrorCode.MALFORMED);
    }
  });

  it('refuses the map key "__proto__" (which the old path accepted as an own property)', () => {
    const bytes = fromHex("a1695f5f70726f746f5f5f01"); // {"__proto__": 1}
    expect(codeOf(() => decode(bytes))).toBe(ErrorCode.NON_CANONICAL);
    // nested, and next to other keys
    expect(codeOf(() => decode(encode([{ a: 1 }, JSON.parse('{"__proto__": {"x": 1}}')])))).toBe(
      ErrorCode.NON_CANONICAL,
    );
    // decodeTrusted keeps cborg's value: an own property, the prototype untouched
    const v = decodeTrusted(bytes) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(v, "__proto__")?.value).toBe(1);
    expectSame(v, cborgDecode(bytes, cborgOptions));
    // a duplicate "__proto__" is still a duplicate
    expect(codeOf(() => decode(fromHex("a2695f5f70726f746f5f5f01695f5f70726f746f5f5f02")))).toBe(
      ErrorCode.MALFORMED,
    );
    // other Object.prototype names are ordinary keys
    const o = decode(encode({ constructor: 1, toString: 2, hasOwnProperty: 3 }));
    expectSame(o, { toString: 2, constructor: 1, hasOwnProperty: 3 }); // canonical key order
  });

  it(`caps nesting at ${MAX_DEPTH} levels with MALFORMED`, () => {
    const nested = (levels: number) => {
      const b = new Uint8Array(levels + 1).fill(0x81);
      b[levels] = 0x01;
      return b;
    };
    // the deepest value encode accepts (an item inside 256 arrays) decodes
    let deep: unknown = 1;
    for (let i = 0; i < MAX_DEPTH; i++) deep = [deep];
    expect(encode(deep)).toStrictEqual(nested(MAX_DEPTH));
    expect(decode(nested(MAX_DEPTH))).toStrictEqual(deep);
    expect(codeOf(() => encode([deep]))).toBe(ErrorCode.INVALID_FIELD);
    // one more level: refused (the old path, whose re-encode failed, said NON_CANONICAL)
    expect(codeOf(() => decode(nested(MAX_DEPTH + 1)))).toBe(ErrorCode.MALFORMED);
    expect(codeOf(() => referenceDecode(nested(MAX_DEPTH + 1)))).toBe(ErrorCode.NON_CANONICAL);
    // maps count too, and no depth overflows the stack
    const maps = new Uint8Array(2 * (MAX_DEPTH + 1) + 1);
    for (let i = 0; i <= MAX_DEPTH; i++) maps.set([0xa1, 0x60], 2 * i);
    maps[maps.length - 1] = 0xf6;
    expect(codeOf(() => decode(maps))).toBe(ErrorCode.MALFORMED);
    expect(codeOf(() => decode(new Uint8Array(1_000_000).fill(0x81)))).toBe(ErrorCode.MALFORMED);
    expect(codeOf(() => decodeTrusted(new Uint8Array(1_000_000).fill(0x81)))).toBe(
      ErrorCode.MALFORMED,
    );
  });

  it("decodes long and non-ASCII text, and the same short text to equal strings", () => {
    const values = [
      "x".repeat(24),
      "y".repeat(25),
      "z".repeat(70),
      "é".repeat(40),
      "日本語",
      "a\u0000b",
      "\u{1F600}",
    ];
    for (const s of values) expect(decode(encode(s))).toBe(s);
    // a BOM after the first character is ordinary text
    expect(decode(encode("a\uFEFF"))).toBe("a\uFEFF");
    // the text cache returns equal strings for equal bytes, distinct ones for distinct bytes
    const keys = Array.from({ length: 5000 }, (_, i) => `k${i.toString(36)}`);
    const m = Object.fromEntries(keys.map((k, i) => [k, i]));
    expect(decode(encode(m))).toStrictEqual(m);
    expect(decode(encode(m))).toStrictEqual(m);
  });
});

describe("elementBytes", () => {
  it("finds an element of nested arrays by its path: the same value the whole decode has", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(value, { maxLength: 6 }), { maxLength: 6 }),
        fc.nat(7),
        fc.nat(7),
        (outer, i, j) => {
          const bytes = encode(outer);
          const whole = decodeTrusted(bytes) as unknown[][];
          const row = elementBytes(bytes, [i]);
          if (i >= outer.length) {
            expect(row).toBeUndefined();
            return;
          }
          expectSame(decodeTrusted(row!), whole[i], `[${i}]`);
          const cell = elementBytes(bytes, [i, j]);
          if (j >= outer[i].length) expect(cell).toBeUndefined();
          else expectSame(decodeTrusted(cell!), whole[i][j], `[${i}][${j}]`);
        },
      ),
      { numRuns: 500 },
    );
    expect(elementBytes(encode([1, 2]), [])).toEqual(encode([1, 2]));
    expect(codeOf(() => elementBytes(encode({ a: 1 }), [0]))).toBe(ErrorCode.MALFORMED);
    expect(codeOf(() => elementBytes(encode([[1, 2]]).subarray(0, 3), [0, 1]))).toBe(
      ErrorCode.MALFORMED,
    );
  });
});
