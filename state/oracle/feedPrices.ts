/**
 * From the node's feed prices (decimal strings, given to `extendVote` as data) to the ticks a
 * vote extension carries.
 */
import { decimalPlaces, divRound, parseDecimal, pow10, Rounding } from "../../lib/fixed.js";
import type { MarketParams } from "../types/market.js";
import type { OraclePrice } from "./extension.js";

/** Feed prices with more decimals than this are refused (a sane bound on the input). */
const MAX_FEED_DECIMALS = 18;

/*
 * ticks = round_half_up(price / tickSize)
 *       = floor((2 × v × 10^td + 10^d × t) / (2 × 10^d × t))
 * with price = v / 10^d and tickSize = t / 10^td. A report is not a payment: nearest tick is
 * the unbiased choice (the median then decides). undefined when the string is not a plain
 * positive decimal or rounds to 0 ticks.
 */
export function feedPriceToTicks(
  price: string,
  tickSize: MarketParams["tickSize"],
): bigint | undefined {
  const d = decimalPlaces(price);
  if (d > MAX_FEED_DECIMALS) return undefined;
  let v: bigint;
  try {
    v = parseDecimal(price, d, { allowZero: false });
  } catch {
    return undefined;
  }
  const num = 2n * v * pow10(tickSize.decimals) + pow10(d) * tickSize.scaled;
  const ticks = divRound(num, 2n * pow10(d) * tickSize.scaled, Rounding.Floor);
  return ticks > 0n ? ticks : undefined;
}

/**
 * This validator's extension prices: one per known market with a usable feed price, sorted by
 * market id. Feed entries for unknown markets and unusable values are skipped, never thrown:
 * a bad feed must not stop a validator from voting.
 */
export function oraclePricesFromFeed(
  feed: Readonly<Record<string, string>>,
  markets: readonly MarketParams[],
): OraclePrice[] {
  const out: OraclePrice[] = [];
  for (const m of [...markets].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    if (!Object.hasOwn(feed, m.id)) continue;
    const raw = feed[m.id];
    const ticks = typeof raw === "string" ? feedPriceToTicks(raw, m.tickSize) : undefined;
    if (ticks !== undefined) out.push({ market: m.id, priceTicks: ticks });
  }
  return out;
}
