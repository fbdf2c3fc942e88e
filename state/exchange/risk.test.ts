import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BTC_USD, ETH_USD, market } from "../margin/fixtures.js";
import type { Position } from "../types/account.js";
import { checkTrade, checkTradeReference } from "./risk.js";
import type { AccountRec, Exchange, MarketRec } from "./types.js";

const lots = fc.bigInt({ min: -50_000n, max: 50_000n });
const index = fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n });

describe("checkTrade", () => {
  it("gives the verdict of the reference (hypothetical account, then equity and IMR)", () => {
    fc.assert(
      fc.property(
        fc.record({
          btcOracle: fc.bigInt({ min: 1n, max: 200_000n }),
          ethOracle: fc.bigInt({ min: 1n, max: 2_000_000n }),
          btcIndex: index,
          ethIndex: index,
          btcOi: fc.bigInt({ min: 0n, max: 10n ** 7n }),
          oracleHeight: fc.integer({ min: 0, max: 200 }),
          quote: fc.bigInt({ min: -(10n ** 12n), max: 10n ** 13n }),
          btc: fc.option(
            fc.tuple(
              lots.filter((x) => x !== 0n),
              index,
            ),
            { nil: undefined },
          ),
          eth: fc.option(
            fc.tuple(
              lots.filter((x) => x !== 0n),
              index,
            ),
            { nil: undefined },
          ),
          tradeEth: fc.boolean(),
          signedLots: lots,
          quoteDelta: fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
        }),
        (c) => {
          const btc = market(BTC_USD, c.btcOracle, {
            cumulativeFundingIndex: c.btcIndex,
            openInterestLots: c.btcOi,
            oracleHeight: c.oracleHeight,
          }) as unknown as MarketRec;
          const eth = market(ETH_USD, c.ethOracle, {
            cumulativeFundingIndex: c.ethIndex,
            oracleHeight: c.oracleHeight,
          }) as unknown as MarketRec;
          const ex = {
            markets: new Map([
              [btc.params.id, btc],
              [eth.params.id, eth],
            ]),
          } as unknown as Exchange;
          const positions: Position[] = [];
          for (const [m, p] of [
            [btc, c.btc],
            [eth, c.eth],
          ] as const) {
            if (p)
              positions.push({
                market: m.params.id,
                sizeLots: p[0],
                entryNotional: 0n,
                fundingIndex: p[1],
              });
          }
          positions.sort((a, b) => (a.market < b.market ? -1 : 1));
          const acct = {
            address: "0x01",
            ownerId: 0,
            quoteBalance: c.quote,
            positions,
            nonces: [],
          } as AccountRec;
          const m = c.tradeEth ? eth : btc;
          expect(checkTrade(ex, acct, m, c.signedLots, c.quoteDelta, 150)).toBe(
            checkTradeReference(ex, acct, m, c.signedLots, c.quoteDelta, 150),
          );
        },
      ),
      { numRuns: 3_000 },
    );
  });
});
