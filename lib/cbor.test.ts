import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "./bytes.js";
import { asBigInt, asSafeInt, decode, encode } from "./cbor.js";
import { ErrorCode, PerpetuaError } from "./errors.js";

function codeOf(f: () => unknown): number | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof PerpetuaError ? e.code : -1;
  }
}

describe("canonical CBOR", () => {
  it("sorts map keys bytewise (RFC 8949 4.2.1), whatever the insertion order", () => {
    expect(toHex(encode({ b: 1, a: 2, aa: 3 }))).toBe(toHex(encode({ aa: 3, a: 2, b: 1 })));
    // bytewise: "a" (0x61 0x61) < "aa" (0x62 0x61 0x61) because the header byte holds the length
    expect(toHex(encode({ aa: 1, b: 2 }))).toBe("a261620262616101");
  });

  it("encodes number and bigint integers identically", () => {
    expect(encode(5n)).toEqual(encode(5));
    expect(encode(2n ** 60n)).toEqual(fromHex("1b1000000000000000"));
  });

  it("refuses floats and undefined at encode time", () => {
    expect(codeOf(() => encode({ x: 1.5 }))).toBe(ErrorCode.INVALID_FIELD);
    expect(codeOf(() => encode([undefined]))).toBe(ErrorCode.INVALID_FIELD);
    expect(codeOf(() => encode(Number.NaN))).toBe(ErrorCode.INVALID_FIELD);
  });

  it("rejects non-canonical encodings on decode", () => {
    // 1 encoded in two bytes instead of one
    expect(codeOf(() => decode(fromHex("1801")))).toBe(ErrorCode.MALFORMED);
    // map with keys out of order: {"b":1,"a":2}
    expect(codeOf(() => decode(fromHex("a2616201616102")))).toBe(ErrorCode.NON_CANONICAL);
    // float 1.0 (half precision) where an integer is canonical
    expect(codeOf(() => decode(fromHex("f93c00")))).toBe(ErrorCode.NON_CANONICAL);
    // indefinite-length array
    expect(codeOf(() => decode(fromHex("9f01ff")))).toBe(ErrorCode.MALFORMED);
    // duplicate keys
    expect(codeOf(() => decode(fromHex("a2616101616102")))).toBe(ErrorCode.MALFORMED);
    // trailing bytes
    expect(codeOf(() => decode(fromHex("0101")))).toBe(ErrorCode.MALFORMED);
    // undefined
    expect(codeOf(() => decode(fromHex("f7")))).toBe(ErrorCode.MALFORMED);
    // a tag (bignum)
    expect(codeOf(() => decode(fromHex("c249010000000000000000")))).toBe(ErrorCode.MALFORMED);
    // garbage
    expect(codeOf(() => decode(fromHex("ff")))).toBe(ErrorCode.MALFORMED);
    expect(codeOf(() => decode(new Uint8Array()))).toBe(ErrorCode.MALFORMED);
  });

  it("rejects NaN/Infinity, non-text keys and deep nesting as malformed, bad text as non-canonical", () => {
    expect(codeOf(() => decode(fromHex("f97e00")))).toBe(ErrorCode.MALFORMED); // NaN
    expect(codeOf(() => decode(fromHex("fb7ff0000000000000")))).toBe(ErrorCode.MALFORMED); // +Inf
    expect(codeOf(() => decode(fromHex("a10101")))).toBe(ErrorCode.MALFORMED); // {1: 1}
    expect(codeOf(() => decode(fromHex("4201")))).toBe(ErrorCode.MALFORMED); // length past the end
    expect(codeOf(() => decode(new Uint8Array(300).fill(0x81)))).toBe(ErrorCode.MALFORMED);
    expect(codeOf(() => decode(fromHex("fb3ff8000000000000")))).toBe(ErrorCode.NON_CANONICAL); // 1.5
    expect(codeOf(() => decode(fromHex("62c328")))).toBe(ErrorCode.NON_CANONICAL); // invalid UTF-8
    // {"__proto__": 1}
    expect(codeOf(() => decode(fromHex("a1695f5f70726f746f5f5f01")))).toBe(ErrorCode.NON_CANONICAL);
  });

  it("round-trips arbitrary canonical values; decode(encode(v)) re-encodes to the same bytes", () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: "small" },
        fc.integer(),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
        fc.string(),
        fc.boolean(),
        fc.constant(null),
        fc.uint8Array({ maxLength: 40 }),
        fc.array(tie("v"), { maxLength: 5 }),
        fc.dictionary(fc.string({ maxLength: 8 }), tie("v"), { maxKeys: 5 }),
      ),
    })).v;
    fc.assert(
      fc.property(value, (v) => {
        const bytes = encode(v);
        const back = decode(bytes);
        expect(encode(back)).toEqual(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it("decodes integers below 2^53 as number and above as bigint; converters enforce the schema", () => {
    expect(decode(encode(2 ** 53 - 1))).toBe(2 ** 53 - 1);
    expect(decode(encode(2n ** 53n))).toBe(2n ** 53n);
    expect(asBigInt(7, "f")).toBe(7n);
    expect(asSafeInt(7n, "f")).toBe(7);
    expect(codeOf(() => asSafeInt(2n ** 60n, "f"))).toBe(ErrorCode.INVALID_FIELD);
    expect(codeOf(() => asBigInt("7", "f"))).toBe(ErrorCode.INVALID_FIELD);
  });
});
