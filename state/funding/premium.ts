/**
 * Premium sample of one block: how far the executable prices for a standard size (impact
 * bid / impact ask) sit from the oracle price.
 *
 * Source: dYdX v4 x/clob/memclob/memclob.go MemClobPriceTimePriority.GetPricePremium:
 *   premium = (max(0, impactBid − oracle) − max(0, oracle − impactAsk)) / oracle
 * with impact prices the average fill price of `impactNotional` on each side. A side that
 * cannot fill the impact notional contributes 0 (dYdX takes impact bid = 0, impact ask = ∞),
 * so an empty or thin side never creates a premium on its own. Unlike dYdX, the impact price
 * is kept as an exact fraction and each sample is not clamped on its own (dYdX clamps premium
 * votes); the rate clamp (rate.ts) bounds the outcome.
 */
import { divRound, PPM, Rounding } from "../../lib/fixed.js";

/** A book side as the order book exposes it: [priceTicks, totalLots], best first. */
export type BookLevels = Iterable<readonly [priceTicks: number, sizeLots: number]>;

/** An average fill price as the exact fraction num / den ticks. */
export interface ImpactPrice {
  readonly num: bigint;
  readonly den: bigint;
}

function level(v: number, what: string): bigint {
  if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`book level ${what} ${v}`);
  return BigInt(v);
}

/*
 * Walk levels best-first until `impactNotional` I (quantums) is filled; fills are taken as
 * continuous within the last level. With L whole lots from the levels before the last one,
 * last level price p_k and R quantums filled in it:
 *   lots filled = L + R / (p_k × q)
 *   impact price = I / (lots × q) = I × p_k / (L × p_k × q + R)     (ticks, exact fraction)
 * undefined when the side holds less than I.
 */
export function impactPrice(
  levels: BookLevels,
  impactNotionalQuantums: bigint,
  quantumsPerTickLot: bigint,
): ImpactPrice | undefined {
  if (impactNotionalQuantums <= 0n) throw new RangeError("impact notional must be > 0");
  let remaining = impactNotionalQuantums;
  let fullLots = 0n;
  for (const [priceNum, sizeNum] of levels) {
    const price = level(priceNum, "price");
    const size = level(sizeNum, "size");
    const levelNotional = price * size * quantumsPerTickLot;
    if (remaining <= levelNotional) {
      return {
        num: impactNotionalQuantums * price,
        den: fullLots * price * quantumsPerTickLot + remaining,
      };
    }
    fullLots += size;
    remaining -= levelNotional;
  }
  return undefined;
}

/*
 * With impact bid a/b and impact ask c/d (ticks) and oracle O (ticks):
 *   bidTerm = max(0, a/b − O) / O = max(0, a − O×b) / (O×b)
 *   askTerm = max(0, O − c/d) / O = max(0, O×d − c) / (O×d)
 *   premiumPpm = trunc((bidTerm − askTerm) × 10^6)      (one rounding, toward zero)
 * A missing impact price makes its term 0.
 */
export function premiumSamplePpm(
  impactBid: ImpactPrice | undefined,
  impactAsk: ImpactPrice | undefined,
  oraclePriceTicks: bigint,
): bigint {
  if (oraclePriceTicks <= 0n) throw new RangeError("oracle price must be > 0");
  let num = 0n;
  let den = 1n;
  if (impactBid !== undefined && impactBid.num > oraclePriceTicks * impactBid.den) {
    num = impactBid.num - oraclePriceTicks * impactBid.den;
    den = oraclePriceTicks * impactBid.den;
  }
  if (impactAsk !== undefined && oraclePriceTicks * impactAsk.den > impactAsk.num) {
    const askNum = oraclePriceTicks * impactAsk.den - impactAsk.num;
    const askDen = oraclePriceTicks * impactAsk.den;
    num = num * askDen - askNum * den;
    den = den * askDen;
  }
  // Trunc: funding moves money between traders, so toward zero never overstates what either
  // side owes; no direction favours one side of the book.
  return divRound(num * PPM, den, Rounding.Trunc);
}

/** The block's sample from the two sides of the book (bids and asks, each best first). */
export function premiumSampleFromBook(
  bids: BookLevels,
  asks: BookLevels,
  oraclePriceTicks: bigint,
  impactNotionalQuantums: bigint,
  quantumsPerTickLot: bigint,
): bigint {
  return premiumSamplePpm(
    impactPrice(bids, impactNotionalQuantums, quantumsPerTickLot),
    impactPrice(asks, impactNotionalQuantums, quantumsPerTickLot),
    oraclePriceTicks,
  );
}
