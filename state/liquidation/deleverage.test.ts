/**
 * The `deleverage` event names the side of the bankrupt account's closing trade: a long is
 * closed by selling, a short by buying. The attribute is appended after the earlier ones,
 * which keep their order and values, and agrees with the sign of the liquidation record's
 * `positionLots` (what RPC readers derived the side from before the event carried it).
 *
 * BTC-USD as in state/scenarios.test.ts: tick 1 USDC, step 0.0001 BTC, IMF 5 %, MMF 3 %, no
 * trading fees, an empty insurance fund, so a fill beyond the bankruptcy price cannot be
 * paid for and the position is deleveraged against the maker at the bankruptcy price.
 */
import { describe, expect, it } from "vitest";
import type { AppEvent } from "../../lib/abci.js";
import {
  btcMarket,
  genesis,
  limitOrder,
  NO_FEES,
  runBlock,
  setPrices,
  startChain,
  Trader,
} from "../testkit.js";

const CAROL = new Trader("carol");
const MAKER = new Trader("maker");

const NO_FEES_EMPTY_FUND = NO_FEES;

const order = (side: "buy" | "sell", price: string, size: string, clientId: number, ioc = false) =>
  limitOrder(side, price, size, clientId, ioc ? "ioc" : "gtc");

function attributesOf(e: AppEvent): [string, string][] {
  return e.attributes.map((a) => [a.key, a.value]);
}

/**
 * Carol opens 2 BTC at 50,000 on `carolSide` with 5,000 USDC (exactly initial margin)
 * against the maker; the maker then quotes 2 BTC at `quotePrice` on the side that would close
 * Carol, and the oracle moves to `crashPrice`, 3,000 against her: equity −1,000, bankruptcy
 * 1,500 from the entry. The quote is beyond bankruptcy and the fund is empty, so she is
 * deleveraged against the maker. Returns the block's deleverage events and liquidation record.
 */
async function carolDeleveraged(
  carolSide: "buy" | "sell",
  quotePrice: string,
  crashPrice: string,
): Promise<{ deleverages: AppEvent[]; positionLots: bigint }> {
  const makerSide = carolSide === "buy" ? "sell" : "buy";
  const chain = await startChain(
    genesis({
      accounts: [
        { address: CAROL.address, collateral: "5000" },
        { address: MAKER.address, collateral: "1000000" },
      ],
      markets: [btcMarket(NO_FEES_EMPTY_FUND)],
      insuranceFund: "0",
    }),
  );
  setPrices(chain, { "BTC-USD": "50000" });
  await runBlock(chain, [MAKER.tx([order(makerSide, "50000", "2", 1)])]);
  await runBlock(chain, [CAROL.tx([order(carolSide, "50000", "2", 1, true)])]);
  await runBlock(chain, [MAKER.tx([order(carolSide, quotePrice, "2", 2)])]);
  setPrices(chain, { "BTC-USD": crashPrice });
  const res = await runBlock(chain);
  expect(chain.app.exchange().accounts.get(CAROL.address)!.positions).toEqual([]);
  const record = res.events.find(
    (e) =>
      e.type === "explain" && e.attributes.find((a) => a.key === "kind")?.value === "liquidation",
  );
  const data = JSON.parse(record!.attributes.find((a) => a.key === "data")!.value) as {
    steps: { positionLots: string }[];
  };
  return {
    deleverages: res.events.filter((e) => e.type === "deleverage"),
    positionLots: BigInt(data.steps[0].positionLots),
  };
}

describe("deleverage event side", () => {
  // At the bankruptcy price the long receives 2 × 47,500 = 95,000 USDC and the short pays
  // 2 × 52,500 = 105,000 USDC (quote in quantums, 10^6 per USDC).
  it.each([
    {
      name: "CAROL_2BTC_LONG_AT_50000_DELEVERAGED_AT_47500",
      opened: "buy",
      quotePrice: "46900",
      crashPrice: "47000",
      bankruptcyPrice: "47500",
      quote: "95000000000",
      closedOn: "sell",
    },
    {
      name: "CAROL_2BTC_SHORT_AT_50000_DELEVERAGED_AT_52500",
      opened: "sell",
      quotePrice: "53100",
      crashPrice: "53000",
      bankruptcyPrice: "52500",
      quote: "-105000000000",
      closedOn: "buy",
    },
  ] as const)("$name: opened with a $opened, closed with a $closedOn", async (t) => {
    const { deleverages, positionLots } = await carolDeleveraged(
      t.opened,
      t.quotePrice,
      t.crashPrice,
    );
    expect(deleverages).toHaveLength(1);
    expect(attributesOf(deleverages[0])).toEqual([
      ["market", "BTC-USD"],
      ["account", CAROL.address],
      ["counterparty", MAKER.address],
      ["size", "2"],
      ["price", t.bankruptcyPrice],
      ["quote", t.quote],
      ["side", t.closedOn],
    ]);
    // The side RPC readers derived from the liquidation record before agrees.
    expect(positionLots > 0n ? "sell" : "buy").toBe(t.closedOn);
  });
});
