/**
 * Market-attack replays at the application level (issue 3). Each ends with the invariants
 * intact (finalizeBlock checks them every block and would throw), no USDC minted beyond
 * genesis and the faucet, and the chain still running.
 */
import { describe, expect, it } from "vitest";
import { formatUsdc } from "../lib/fixed.js";
import { accountRisk } from "./margin/index.js";
import {
  btcMarket,
  type Chain,
  genesis,
  limitOrder,
  runBlock,
  setPrices,
  startChain,
  Trader,
} from "./testkit.js";

const limit = (
  market: string,
  side: "buy" | "sell",
  price: string,
  size: string,
  clientId: number,
  tif: "gtc" | "ioc" = "gtc",
) => limitOrder(side, price, size, clientId, tif, market);

function totalUsdc(chain: Chain): bigint {
  const ex = chain.app.exchange();
  let t = ex.insuranceFundQuantums + ex.feePoolQuantums;
  for (const a of ex.accounts.values()) t += a.quoteBalance;
  return t;
}

async function keepRunning(chain: Chain, blocks: number) {
  for (let i = 0; i < blocks; i++) await runBlock(chain);
}

function negativeEquityAccounts(chain: Chain): string[] {
  const ex = chain.app.exchange();
  return [...ex.accounts.values()]
    .filter((a) => accountRisk(a, ex.markets).equityQuantums < 0n)
    .map((a) => a.address);
}

const THIN = btcMarket({
  id: "JELLY-USD",
  tickSize: "0.0001",
  stepSize: "1",
  initialOraclePrice: "0.05",
  openInterestCap: "100000000",
  maxLiquidationNotionalPerBlock: "1000000",
  maxInsurancePayoutPerBlock: "100000",
  takerFeePpm: 0,
});

describe("market attacks", () => {
  it("JELLY-like: a thin token pumped 4× against a large short", async () => {
    const SHORTER = new Trader("jelly-shorter");
    const PUMPER = new Trader("jelly-pumper");
    const LP = new Trader("jelly-lp");
    const chain = await startChain(
      genesis({
        accounts: [
          { address: SHORTER.address, collateral: "25000" },
          { address: PUMPER.address, collateral: "200000" },
          { address: LP.address, collateral: "100000" },
        ],
        markets: [THIN],
        insuranceFund: "10000",
      }),
    );
    setPrices(chain, { "JELLY-USD": "0.05" });
    const before = totalUsdc(chain);
    // The shorter sells 4M JELLY (200,000 notional) to the pumper's bid.
    await runBlock(chain, [PUMPER.tx([limit("JELLY-USD", "buy", "0.05", "4000000", 1)])]);
    await runBlock(chain, [SHORTER.tx([limit("JELLY-USD", "sell", "0.05", "4000000", 1, "ioc")])]);
    // The LP quotes thinly above; the oracle is pumped 4× over a few blocks.
    await runBlock(chain, [LP.tx([limit("JELLY-USD", "sell", "0.3", "10000000", 1)])]);
    for (const p of ["0.08", "0.12", "0.16", "0.2"]) {
      setPrices(chain, { "JELLY-USD": p });
      await runBlock(chain);
    }
    await keepRunning(chain, 5);
    const ex = chain.app.exchange();
    // The short is gone (liquidated or deleveraged), nothing was minted, nobody is negative.
    expect(ex.accounts.get(SHORTER.address)!.positions).toEqual([]);
    expect(totalUsdc(chain)).toBe(before);
    expect(negativeEquityAccounts(chain)).toEqual([]);
    expect(ex.insuranceFundQuantums).toBeGreaterThanOrEqual(0n);
  });

  it("50× whale withdraws unrealized profit, then a 10 % move", async () => {
    const WHALE = new Trader("whale");
    const MM = new Trader("whale-mm");
    const FRIEND = new Trader("whale-friend");
    const chain = await startChain(
      genesis({
        accounts: [
          { address: WHALE.address, collateral: "10000" },
          { address: MM.address, collateral: "10000000" },
          { address: FRIEND.address, collateral: "0" },
        ],
        markets: [
          btcMarket({ initialMarginPpm: 20_000, maintenanceMarginPpm: 10_000, takerFeePpm: 0 }),
        ],
      }),
    );
    setPrices(chain, { "BTC-USD": "50000" });
    const before = totalUsdc(chain);
    await runBlock(chain, [
      MM.tx([
        limit("BTC-USD", "sell", "50000", "10", 1),
        limit("BTC-USD", "buy", "40000", "100", 2),
      ]),
    ]);
    // 10 BTC = 500,000 notional on 10,000: 50× leverage, exactly the 2 % IMF.
    await runBlock(chain, [WHALE.tx([limit("BTC-USD", "buy", "50000", "10", 1, "ioc")])]);
    setPrices(chain, { "BTC-USD": "51000" }); // +10,000 unrealized
    await runBlock(chain);
    // Withdrawing all the unrealized profit would leave equity < IMR (10,200): refused.
    const greedy = await runBlock(chain, [
      WHALE.tx([{ kind: "transfer", to: FRIEND.address, amount: "10000" }]),
    ]);
    expect(greedy.txResults[0].events.some((e) => e.type === "transfer")).toBe(false);
    // What is above IMR can leave: equity 20,000 − IMR 10,200 = 9,800.
    const ok = await runBlock(chain, [
      WHALE.tx([{ kind: "transfer", to: FRIEND.address, amount: "9800" }]),
    ]);
    expect(ok.txResults[0].events.some((e) => e.type === "transfer")).toBe(true);
    setPrices(chain, { "BTC-USD": "45900" }); // −10 %
    await runBlock(chain);
    await keepRunning(chain, 3);
    expect(totalUsdc(chain)).toBe(before);
    expect(negativeEquityAccounts(chain)).toEqual([]);
    expect(formatUsdc(chain.app.exchange().accounts.get(FRIEND.address)!.quoteBalance)).toBe(
      "9800",
    );
  });

  it("YFI-like: open interest spread over 100 accounts, then a 30 % drop", async () => {
    const LONGS = Array.from({ length: 100 }, (_, i) => new Trader(`yfi-long-${i}`));
    const SHORT = new Trader("yfi-short");
    const chain = await startChain(
      genesis({
        accounts: [
          ...LONGS.map((t) => ({ address: t.address, collateral: "600" })),
          { address: SHORT.address, collateral: "5000000" },
        ],
        markets: [btcMarket({ takerFeePpm: 0, maxLiquidationNotionalPerBlock: "200000" })],
        insuranceFund: "2000",
      }),
    );
    setPrices(chain, { "BTC-USD": "50000" });
    const before = totalUsdc(chain);
    await runBlock(chain, [SHORT.tx([limit("BTC-USD", "sell", "50000", "20", 1)])]);
    // Each long buys 0.2 BTC (10,000 notional) on 600: 6 % margin, above the 5 % IMF.
    await runBlock(
      chain,
      LONGS.map((t) => t.tx([limit("BTC-USD", "buy", "50000", "0.2", 1, "ioc")])),
    );
    expect(chain.app.exchange().markets.get("BTC-USD")!.state.openInterestLots).toBe(200_000n);
    setPrices(chain, { "BTC-USD": "35000" });
    await keepRunning(chain, 30); // per-block caps spread the liquidations over blocks
    const ex = chain.app.exchange();
    expect(ex.markets.get("BTC-USD")!.state.openInterestLots).toBe(0n);
    expect(totalUsdc(chain)).toBe(before);
    expect(negativeEquityAccounts(chain)).toEqual([]);
  });

  it("one liquidation takes the whole market's open interest", async () => {
    const BIG = new Trader("whole-oi-big");
    const CP = new Trader("whole-oi-cp");
    const chain = await startChain(
      genesis({
        accounts: [
          { address: BIG.address, collateral: "50000" },
          { address: CP.address, collateral: "1000000" },
        ],
        markets: [btcMarket({ takerFeePpm: 0 })],
        insuranceFund: "0",
      }),
    );
    setPrices(chain, { "BTC-USD": "50000" });
    const before = totalUsdc(chain);
    await runBlock(chain, [CP.tx([limit("BTC-USD", "sell", "50000", "20", 1)])]);
    await runBlock(chain, [BIG.tx([limit("BTC-USD", "buy", "50000", "20", 1, "ioc")])]);
    setPrices(chain, { "BTC-USD": "47000" }); // equity 50,000 − 60,000 < 0, no bids, no fund
    await runBlock(chain);
    const ex = chain.app.exchange();
    expect(ex.markets.get("BTC-USD")!.state.openInterestLots).toBe(0n);
    expect(ex.accounts.get(BIG.address)!.positions).toEqual([]);
    expect(totalUsdc(chain)).toBe(before);
    expect(negativeEquityAccounts(chain)).toEqual([]);
    await keepRunning(chain, 3);
  });
});
