/**
 * Test fixtures shared by the margin, funding and oracle tests, named for what they are.
 *
 * BTC-USD: tickSize 1 USDC, stepSize 0.0001 BTC → quantumsPerTickLot = 100; 1 BTC = 10,000
 * lots; a price of 50,000 ticks is $50,000. IMF 5 %, MMF 3 %, OI caps $1M..$2M.
 * ETH-USD: tickSize 0.01, stepSize 0.001 → quantumsPerTickLot = 10; 1 ETH = 1,000 lots;
 * $3,000 = 300,000 ticks. IMF 10 %, MMF 5 %, IMF scaling disabled.
 */
import type { Account, Position } from "../types/account.js";
import {
  initialMarketState,
  type Market,
  type MarketLookup,
  type MarketParams,
  type MarketParamsJson,
  parseMarketParams,
} from "../types/market.js";

export const USDC = 1_000_000n;

export const BTC_USD_JSON: MarketParamsJson = {
  id: "BTC-USD",
  tickSize: "1",
  stepSize: "0.0001",
  initialMarginPpm: 50_000,
  maintenanceMarginPpm: 30_000,
  oiLowerCap: "1000000",
  oiUpperCap: "2000000",
  openInterestCap: "1000",
  maxLiquidationFeePpm: 15_000,
  maxLiquidationNotionalPerBlock: "500000",
  maxInsurancePayoutPerBlock: "100000",
  impactNotional: "10000",
  fundingIntervalSeconds: 3600,
  fundingClampPpm: 6_000_000,
  fundingBaselinePpm: 0,
  makerFeePpm: -110,
  takerFeePpm: 500,
  minPriceChangePpm: 1000,
  maxOracleAgeBlocks: 5,
};

export const ETH_USD_JSON: MarketParamsJson = {
  ...BTC_USD_JSON,
  id: "ETH-USD",
  tickSize: "0.01",
  stepSize: "0.001",
  initialMarginPpm: 100_000,
  maintenanceMarginPpm: 50_000,
  oiLowerCap: "0",
  oiUpperCap: "0",
  openInterestCap: "100000",
  impactNotional: "5000",
};

export const BTC_USD: MarketParams = parseMarketParams(BTC_USD_JSON, "markets[0]");
export const ETH_USD: MarketParams = parseMarketParams(ETH_USD_JSON, "markets[1]");

export const BTC_1 = 10_000n; // lots
export const ETH_1 = 1_000n; // lots

export function market(
  params: MarketParams,
  oraclePriceTicks: bigint,
  over: Partial<Market["state"]> = {},
): Market {
  return { params, state: { ...initialMarketState(oraclePriceTicks, 100, 0), ...over } };
}

export function lookup(...ms: Market[]): MarketLookup {
  return new Map(ms.map((m) => [m.params.id, m]));
}

export const BTC_AT_50000 = market(BTC_USD, 50_000n);
export const ETH_AT_3000 = market(ETH_USD, 300_000n);
export const MARKETS_AT_50000_3000 = lookup(BTC_AT_50000, ETH_AT_3000);

export function position(
  m: MarketParams,
  sizeLots: bigint,
  entryPriceTicks: bigint,
  fundingIndex = 0n,
): Position {
  return {
    market: m.id,
    sizeLots,
    entryNotional: sizeLots * entryPriceTicks * m.quantumsPerTickLot,
    fundingIndex,
  };
}

/**
 * An account that deposited `collateralUsdc` and then opened `positions` at their entry
 * prices: each buy lowered the quote balance by its notional, each sell raised it.
 */
export function account(address: string, collateralUsdc: bigint, positions: Position[]): Account {
  let quoteBalance = collateralUsdc * USDC;
  for (const p of positions) quoteBalance -= p.entryNotional;
  return {
    address,
    quoteBalance,
    positions: [...positions].sort((a, b) => (a.market < b.market ? -1 : 1)),
  };
}

export const ALICE = `0x${"a1".repeat(20)}`;
export const BOB = `0x${"b0".repeat(20)}`;
export const CARL = `0x${"c0".repeat(20)}`;

/** $10,000 collateral, long 1 BTC bought at $50,000. */
export const ALICE_1BTC_LONG_AT_50000 = account(ALICE, 10_000n, [
  position(BTC_USD, BTC_1, 50_000n),
]);
/** $10,000 collateral, short 1 BTC sold at $50,000. */
export const BOB_1BTC_SHORT_AT_50000 = account(BOB, 10_000n, [position(BTC_USD, -BTC_1, 50_000n)]);
/** $20,000 collateral, long 1 BTC at $50,000 and short 10 ETH at $3,000. */
export const CARL_1BTC_LONG_10ETH_SHORT = account(CARL, 20_000n, [
  position(BTC_USD, BTC_1, 50_000n),
  position(ETH_USD, -10n * ETH_1, 300_000n),
]);
