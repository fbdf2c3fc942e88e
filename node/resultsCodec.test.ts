import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AppEvent, FinalizeBlockResponse } from "../lib/abci.js";
import { encode } from "../lib/cbor.js";
import { decodeResults, decodeTxResultAt, encodeResults } from "./resultsCodec.js";

const event: fc.Arbitrary<AppEvent> = fc.record({
  type: fc.string({ maxLength: 12 }),
  attributes: fc.array(
    fc.record({
      key: fc.string({ maxLength: 10 }),
      value: fc.string({ unit: "grapheme", maxLength: 50 }),
    }),
    { maxLength: 12 },
  ),
});

const response: fc.Arbitrary<FinalizeBlockResponse> = fc.record({
  txResults: fc.array(
    fc.record({
      code: fc.nat({ max: 2 ** 40 }),
      log: fc.string({ maxLength: 40 }),
      data: fc.uint8Array({ maxLength: 300 }),
      events: fc.array(event, { maxLength: 5 }),
    }),
    { maxLength: 20 },
  ),
  events: fc.array(event, { maxLength: 5 }),
  validatorUpdates: fc.array(
    fc.record({ pubKey: fc.uint8Array({ minLength: 32, maxLength: 32 }), power: fc.nat() }),
    { maxLength: 3 },
  ),
  appHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
});

/** The stored layout written as a generic value: what the field-by-field writer must match. */
function generic(r: FinalizeBlockResponse): Uint8Array {
  const ev = (es: readonly AppEvent[]) =>
    es.map((e) => [e.type, e.attributes.map((a) => [a.key, a.value])]);
  return encode([
    r.txResults.map((t) => [t.code, t.log, t.data, ev(t.events)]),
    ev(r.events),
    r.validatorUpdates.map((u) => [u.pubKey, u.power]),
    r.appHash,
  ]);
}

describe("block results codec", () => {
  it("writes the canonical CBOR of the generic layout, and reads it back", () => {
    fc.assert(
      fc.property(response, (r) => {
        const bytes = encodeResults(r);
        expect(bytes).toEqual(generic(r));
        expect(decodeResults(bytes)).toEqual(r);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps its bytes when results of megabytes are written in turn", () => {
    const big: FinalizeBlockResponse = {
      txResults: Array.from({ length: 3000 }, (_, i) => ({
        code: 0,
        log: "",
        data: new Uint8Array(64).fill(i & 0xff),
        events: [{ type: "order", attributes: [{ key: "owner", value: `0x${"ab".repeat(200)}` }] }],
      })),
      events: [],
      validatorUpdates: [],
      appHash: new Uint8Array(32).fill(9),
    };
    const first = encodeResults(big);
    const small = encodeResults({ ...big, txResults: big.txResults.slice(0, 1) });
    expect(first.length).toBeGreaterThan(1_000_000);
    expect(decodeResults(first)).toEqual(big);
    expect(decodeResults(small).txResults).toHaveLength(1);
    expect(encodeResults(big)).toEqual(first);
  });

  it("reads one transaction's result alone, equal to the whole decode's", () => {
    fc.assert(
      fc.property(response, fc.nat(25), (r, i) => {
        const bytes = encodeResults(r);
        expect(decodeTxResultAt(bytes, i)).toEqual(decodeResults(bytes).txResults[i]);
      }),
      { numRuns: 300 },
    );
    const bytes = encodeResults({
      txResults: [],
      events: [],
      validatorUpdates: [],
      appHash: new Uint8Array(32),
    });
    expect(decodeTxResultAt(bytes, -1)).toBeUndefined();
    expect(decodeTxResultAt(bytes, 0)).toBeUndefined();
    expect(() => decodeTxResultAt(new Uint8Array([0x83, 0x80]), 0)).toThrow(/4-item array/);
    expect(() => decodeTxResultAt(bytes.subarray(0, 1), 0)).toThrow();
  });
});
