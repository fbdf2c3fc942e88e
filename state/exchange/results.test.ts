import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encode } from "../../lib/cbor.js";
import { definedResultFields, encodeResults, type MsgResult } from "./results.js";

const result: fc.Arbitrary<MsgResult> = fc.record(
  {
    code: fc.integer({ min: 0, max: 10_000 }),
    log: fc.string(),
    orderId: fc.option(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { nil: undefined }),
    status: fc.option(fc.constantFrom("filled", "resting", "cancelled (post_only)"), {
      nil: undefined,
    }),
    filled: fc.option(fc.constantFrom("0", "0.001", "12.5"), { nil: undefined }),
    cancelled: fc.option(fc.nat(), { nil: undefined }),
  },
  { requiredKeys: ["code", "log"] },
);

describe("encodeResults", () => {
  it("gives the bytes of the generic encoder over the defined fields", () => {
    fc.assert(
      fc.property(fc.array(result, { maxLength: 20 }), (rs) => {
        expect(encodeResults(rs)).toEqual(encode(rs.map(definedResultFields)));
      }),
      { numRuns: 1_000 },
    );
  });

  it("takes the generic path for a field outside MsgResult", () => {
    const rs = [{ code: 0, log: "ok", extra: 1 } as MsgResult, { code: 3, log: "no" }];
    expect(encodeResults(rs)).toEqual(encode(rs.map(definedResultFields)));
  });
});
