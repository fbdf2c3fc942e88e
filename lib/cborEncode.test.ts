import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toHex } from "./bytes.js";
import { encode, encodeWithCborg } from "./cbor.js";

const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.integer(),
    fc.maxSafeInteger(),
    fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }),
    fc.string({ unit: "grapheme" }),
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 300 }),
    fc.array(tie("v"), { maxLength: 30 }),
    fc.dictionary(
      fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: "grapheme", maxLength: 5 })),
      tie("v"),
      { maxKeys: 8 },
    ),
  ),
})).v;

describe("fast canonical CBOR encoder", () => {
  it("is byte-identical to cborg's RFC 8949 deterministic encoding on random values", () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(toHex(encode(v))).toBe(toHex(encodeWithCborg(v)));
      }),
      { numRuns: 5000 },
    );
  });

  it("matches on integer boundaries and long strings", () => {
    const edges = [
      0,
      23,
      24,
      255,
      256,
      65535,
      65536,
      2 ** 32 - 1,
      2 ** 32,
      2 ** 53 - 1,
      -1,
      -24,
      -25,
      -256,
      -257,
      -(2 ** 53) + 1,
    ];
    for (const n of edges) expect(toHex(encode(n))).toBe(toHex(encodeWithCborg(n)));
    for (const n of [2n ** 53n, 2n ** 64n - 1n, -(2n ** 64n), -(2n ** 53n) - 1n]) {
      expect(toHex(encode(n))).toBe(toHex(encodeWithCborg(n)));
    }
    const long = "x".repeat(70_000);
    expect(toHex(encode({ [long.slice(0, 300)]: long, a: 1 }))).toBe(
      toHex(encodeWithCborg({ [long.slice(0, 300)]: long, a: 1 })),
    );
  });

  it("refuses floats, undefined, out-of-range bigints and class instances", () => {
    for (const bad of [
      1.5,
      Number.NaN,
      undefined,
      2n ** 64n,
      -(2n ** 64n) - 1n,
      new Date(0),
      new Map(),
    ]) {
      expect(() => encode(bad)).toThrow();
    }
  });
});

describe("key order cache", () => {
  it("is not fooled by keys with NUL that give the same signature", () => {
    const a = { "a\u0000": 1, "": 2 };
    const b = { a: 1, "\u0000": 2 };
    expect(toHex(encode(a))).toBe(toHex(encodeWithCborg(a)));
    expect(toHex(encode(b))).toBe(toHex(encodeWithCborg(b)));
  });
});
