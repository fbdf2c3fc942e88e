/**
 * Notional value of positions at the oracle price.
 *
 * Source: dYdX v4 x/perpetuals/lib GetNetNotionalInQuoteQuantums (signed, longs positive) and
 * GetMarginRequirementsInQuoteQuantums (uses |size|). Here the conversion factor
 * quantumsPerTickLot is an integer, so both are exact: no rounding.
 */
import type { Market } from "../types/market.js";

/* N = |sizeLots| × priceTicks × quantumsPerTickLot   (quantums, exact) */
export function notionalQuantums(
  sizeLots: bigint,
  priceTicks: bigint,
  quantumsPerTickLot: bigint,
): bigint {
  const n = sizeLots * priceTicks * quantumsPerTickLot;
  return n < 0n ? -n : n;
}

/* V = sizeLots × priceTicks × quantumsPerTickLot   (quantums, signed: longs > 0, exact) */
export function positionValueQuantums(
  sizeLots: bigint,
  priceTicks: bigint,
  quantumsPerTickLot: bigint,
): bigint {
  return sizeLots * priceTicks * quantumsPerTickLot;
}

/* OI notional = openInterestLots × oraclePriceTicks × quantumsPerTickLot   (quantums, exact) */
export function openInterestNotionalQuantums(market: Market): bigint {
  return (
    market.state.openInterestLots * market.state.oraclePriceTicks * market.params.quantumsPerTickLot
  );
}
