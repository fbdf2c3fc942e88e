import { describe, expect, it } from "vitest";
import { RpcCode } from "./errors.js";
import {
  address,
  bindParams,
  bindUriParams,
  bytes,
  decimal,
  height,
  int,
  market,
  optional,
  str,
  uriValue,
} from "./params.js";

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return [(e as { code: number }).code, (e as Error).message] as const;
  }
  return undefined;
};

describe("params", () => {
  it("int accepts numbers and decimal strings (CometBFT int64), nothing else", () => {
    const s = int({ min: 1, max: 10 });
    expect(s.parse(5, "h")).toBe(5);
    expect(s.parse("5", "h")).toBe(5);
    for (const bad of ["5.0", "0x5", " 5", 1.5, true, null, "99999999999999999999", 11, 0]) {
      expect(code(() => s.parse(bad, "h"))?.[0]).toBe(RpcCode.INVALID_PARAMS);
    }
  });

  it("bytes: base64 in JSON, bounded before decoding", () => {
    const s = bytes({ max: 4 });
    expect(s.parse("AQID", "tx")).toEqual(new Uint8Array([1, 2, 3]));
    expect(code(() => s.parse("AQIDBAUG", "tx"))?.[1]).toContain("tx: at most 4 bytes");
    expect(code(() => s.parse("a!b=", "tx"))?.[1]).toContain("tx: expected base64");
    expect(code(() => s.parse("A".repeat(10_000), "tx"))?.[1]).toContain("at most");
  });

  it("positional and named binding, null as absent, unknown names refused", () => {
    const spec = { a: height(), b: optional(str({ max: 5 })) };
    expect(bindParams(spec, [1])).toEqual({ a: 1 });
    expect(bindParams(spec, { a: "2", b: null })).toEqual({ a: 2 });
    expect(code(() => bindParams(spec, { a: 1, c: 1 }))?.[1]).toContain("c: unknown param");
    expect(bindParams(spec, { a: 1, c: 1 }, { allowUnknown: true })).toEqual({ a: 1 });
    expect(code(() => bindParams(spec, {}))?.[1]).toBe("Invalid params: a: required");
    expect(code(() => bindParams(spec, [1, "x", 3]))?.[1]).toContain("at most 2");
    expect(code(() => bindParams(spec, "x"))?.[1]).toContain("array or an object");
  });

  it("URI values follow CometBFT's conversion rules", () => {
    expect(uriValue("int", "5", "h")).toBe("5");
    expect(uriValue("bytes", "0x0102", "tx")).toEqual(new Uint8Array([1, 2]));
    expect(uriValue("string", "0x6869", "s")).toBe("hi");
    expect(uriValue("bytes", '"ab"', "tx")).toEqual(new Uint8Array([97, 98]));
    expect(uriValue("string", "\"tm.event='Tx'\"", "q")).toBe("tm.event='Tx'");
    expect(uriValue("string", "BTC-USD", "m")).toBe("BTC-USD");
    expect(uriValue("json", "true", "p")).toBe(true);
    expect(code(() => uriValue("int", "0x10", "h"))?.[1]).toContain("h: got a hex string");
    expect(code(() => uriValue("json", "{bad", "p"))?.[1]).toContain("p: not valid JSON");
    const spec = { height: optional(height()), tx: optional(bytes({ max: 8 })) };
    expect(bindUriParams(spec, new URLSearchParams("height=3&tx=0xff"))).toEqual({
      height: 3,
      tx: new Uint8Array([255]),
    });
  });

  it("exchange edge schemas", () => {
    expect(market().parse("BTC-USD", "market")).toBe("BTC-USD");
    expect(code(() => market().parse("btc", "market"))?.[1]).toContain(
      "market: expected a market id",
    );
    expect(address().parse(`0x${"AB".repeat(20)}`, "address")).toBe(`0x${"ab".repeat(20)}`);
    expect(decimal().parse("50000.5", "price")).toBe("50000.5");
    for (const bad of [50000.5, "1e5", "-1", "01", ".5", "1.", "NaN"]) {
      expect(code(() => decimal().parse(bad, "price"))?.[1]).toContain("price:");
    }
  });
});
