import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeOrder, encodeOrder, encodeOrderGeneric, orderKey, orderPrefix } from "./codec.js";
import type { OrderRec } from "./types.js";

const safeUint = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const smallUint = fc.oneof(fc.integer({ min: 0, max: 70_000 }), safeUint);

const orderRec: fc.Arbitrary<[OrderRec, number]> = fc
  .record({
    id: smallUint,
    owner: fc.oneof(fc.constant("0x00112233445566778899aabbccddeeff00112233"), fc.string()),
    ownerId: smallUint,
    side: fc.constantFrom("buy", "sell"),
    type: fc.constantFrom("limit", "market"),
    priceTicks: smallUint,
    sizeLots: smallUint,
    tif: fc.constantFrom("gtc", "ioc", "fok", "post_only"),
    reduceOnly: fc.boolean(),
    clientId: fc.integer({ min: 0, max: 0xffffffff }),
    goodTilBlock: fc.option(smallUint, { nil: undefined }),
    stp: fc.constantFrom("cancel_maker", "cancel_taker", "cancel_both"),
    trigger: fc.option(
      fc.record({
        kind: fc.constantFrom("stop" as const, "take_profit" as const),
        priceTicks: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      }),
      { nil: undefined },
    ),
    placedHeight: smallUint,
    restSeq: fc.option(smallUint, { nil: undefined }),
  })
  .chain((r) => smallUint.map((remaining) => [{ ...r, market: "BTC-USD" } as OrderRec, remaining]));

describe("order codec", () => {
  it("encodeOrder writes the same bytes as the generic canonical encoder", () => {
    fc.assert(
      fc.property(orderRec, ([rec, remaining]) => {
        const fast = encodeOrder(rec, remaining);
        expect(fast).toEqual(encodeOrderGeneric(rec, remaining));
        const back = decodeOrder("BTC-USD", fast);
        expect(back.remainingLots).toBe(remaining);
        expect(back.rec.id).toBe(rec.id);
      }),
      { numRuns: 2_000 },
    );
  });

  it("encodeOrder refuses what the generic encoder refuses", () => {
    const [rec] = fc.sample(orderRec, 1)[0];
    expect(() => encodeOrder({ ...rec, priceTicks: 1.5 }, 1)).toThrow();
    expect(() => encodeOrderGeneric({ ...rec, priceTicks: 1.5 }, 1)).toThrow();
    // The writer is usable again after a refusal.
    expect(encodeOrder(rec, 3)).toEqual(encodeOrderGeneric(rec, 3));
  });

  it("orderKey is the prefix and the id as a big-endian u64", () => {
    for (const id of [
      0,
      1,
      255,
      256,
      2 ** 32 - 1,
      2 ** 32,
      2 ** 40 + 12_345,
      Number.MAX_SAFE_INTEGER,
    ]) {
      const idBytes = new Uint8Array(8);
      new DataView(idBytes.buffer).setBigUint64(0, BigInt(id));
      const prefix = orderPrefix("ETH-USD");
      const want = new Uint8Array(prefix.length + 8);
      want.set(prefix, 0);
      want.set(idBytes, prefix.length);
      expect(orderKey("ETH-USD", id)).toEqual(want);
    }
  });
});
