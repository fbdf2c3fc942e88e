import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isCompactEvent } from "../../lib/abci.js";
import { parseUnit } from "../../lib/fixed.js";
import { event, orderEvent, priceText, sizeText } from "./context.js";
import type { MarketRec, OrderRec } from "./types.js";

const market = (tick: string, step: string) =>
  ({ params: { tickSize: parseUnit(tick), stepSize: parseUnit(step) } }) as unknown as MarketRec;

const order = fc.record({
  id: fc.nat(),
  clientId: fc.nat({ max: 2 ** 32 - 1 }),
  market: fc.constantFrom("BTC-USD", "ETH-USD"),
  owner: fc.constantFrom("0xd4b70edf1f3abefc9394af88055de2a77f0176bc", "0x01"),
  side: fc.constantFrom("buy", "sell"),
  priceTicks: fc.nat({ max: 2 ** 40 }),
  sizeLots: fc.nat({ max: 2 ** 40 }),
});

describe("order events", () => {
  it("read as the attribute list the plain event() builds, in JSON too", () => {
    fc.assert(
      fc.property(
        order,
        fc.constantFrom(market("1", "0.0001"), market("0.1", "0.001"), market("0.00001", "1")),
        fc.oneof(fc.nat({ max: 2 ** 40 }), fc.bigInt({ min: 0n, max: 2n ** 70n })),
        fc.constantFrom("resting", "filled", "cancelled"),
        fc.constantFrom("", "ioc", "self_trade"),
        (o, m, remaining, status, reason) => {
          const rec = o as unknown as OrderRec;
          const e = orderEvent(m, rec, status, remaining, reason);
          const plain = event("order", {
            market: o.market,
            owner: o.owner,
            orderId: o.id,
            clientId: o.clientId,
            side: o.side,
            price: priceText(m, o.priceTicks),
            size: sizeText(m, o.sizeLots),
            remaining: sizeText(m, remaining),
            status,
            reason,
          });
          expect(e.type).toBe("order");
          expect(e.attributes).toEqual(plain.attributes);
          expect(JSON.parse(JSON.stringify(e))).toEqual(plain);
          if (!isCompactEvent(e)) throw new Error("not compact");
          expect(e.keys).toEqual(plain.attributes.map((a) => a.key));
          expect(e.keys.map((_, i) => e.value(i))).toEqual(plain.attributes.map((a) => a.value));
          expect(() => e.value(e.keys.length)).toThrow(RangeError);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("share one key list and build a fresh attribute list on each read", () => {
    const m = market("1", "0.0001");
    const rec = { id: 1, clientId: 2, market: "BTC-USD", owner: "0x01", side: "buy" };
    const a = orderEvent(m, { ...rec, priceTicks: 5, sizeLots: 7 } as OrderRec, "resting", 7);
    const b = orderEvent(m, { ...rec, priceTicks: 6, sizeLots: 8 } as OrderRec, "filled", 0);
    if (!isCompactEvent(a) || !isCompactEvent(b)) throw new Error("not compact");
    expect(a.keys).toBe(b.keys);
    expect(a.attributes).not.toBe(a.attributes);
    expect(a.attributes).toEqual(a.attributes);
  });
});
