/**
 * Open-interest-scaled initial margin fraction.
 *
 * Source: dYdX v4 x/perpetuals/types/liquidity_tier.go GetInitialMarginQuoteQuantums ("OIMF"):
 *   scaling  = (OI notional − lowerCap) / (upperCap − lowerCap)
 *   IMF_adj  = min(IMF + max(scaling, 0) × (1 − IMF), 1)
 * with upperCap = 0 meaning "no scaling". dYdX keeps IMF_adj as a rational and rounds the
 * requirement; here IMF_adj is rounded up to a whole ppm first, which can only raise the
 * requirement (by < N / 10^6 quantums per position).
 */
import { mulDiv, PPM, Rounding } from "../../lib/fixed.js";
import type { Market, MarketParams } from "../types/market.js";
import { openInterestNotionalQuantums } from "./notional.js";

/*
 * IMF_adj (ppm) =
 *   IMF                                                       if upper = 0 or OI ≤ lower
 *   10^6                                                      if OI ≥ upper
 *   IMF + ceil((10^6 − IMF) × (OI − lower) / (upper − lower)) otherwise
 */
export function initialMarginFractionPpm(
  params: MarketParams,
  openInterestNotionalQuantums: bigint,
): bigint {
  const { initialMarginPpm: imf, oiLowerCapQuantums: lower, oiUpperCapQuantums: upper } = params;
  if (upper === 0n || openInterestNotionalQuantums <= lower) return imf;
  if (openInterestNotionalQuantums >= upper) return PPM;
  // Ceil: a higher margin fraction favours the system (more collateral held per position).
  return (
    imf + mulDiv(PPM - imf, openInterestNotionalQuantums - lower, upper - lower, Rounding.Ceil)
  );
}

/** IMF_adj of a market at its current open interest and oracle price. */
export function marketInitialMarginFractionPpm(market: Market): bigint {
  return initialMarginFractionPpm(market.params, openInterestNotionalQuantums(market));
}
