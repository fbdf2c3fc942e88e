/**
 * Display-only cost basis of a position (entry price and unrealized PnL). Risk never reads it.
 *
 * Follows dYdX v4's indexer convention (entry price = average open price; reducing keeps the
 * entry price, flipping restarts it at the fill price).
 */
import { divRound, Rounding } from "../../lib/fixed.js";

/*
 * s' = s + f (f > 0 buy, f < 0 sell, exact fill notional F = f × price × q, signed)
 *   s = 0 or same side (grow):     entry' = entry + F                    (exact)
 *   reduce (|f| < |s|, opposite):  entry' = entry × s' / s               (toward zero)
 *   close (s' = 0):                entry' = 0
 *   flip (|f| > |s|):              entry' = s' × price × q               (exact)
 */
export function entryNotionalAfterFill(
  sizeLots: bigint,
  entryNotional: bigint,
  fillLots: bigint,
  fillPriceTicks: bigint,
  quantumsPerTickLot: bigint,
): bigint {
  const next = sizeLots + fillLots;
  if (next === 0n) return 0n;
  const grows = sizeLots === 0n || sizeLots > 0n === fillLots > 0n;
  if (grows) return entryNotional + fillLots * fillPriceTicks * quantumsPerTickLot;
  if (next > 0n === sizeLots > 0n) {
    // Trunc: display only; keeps |entry| ≤ the exact pro-rata basis, error < 1 quantum.
    return divRound(entryNotional * next, sizeLots, Rounding.Trunc);
  }
  return next * fillPriceTicks * quantumsPerTickLot;
}

/* unrealized PnL = size × oracle × q − entryNotional   (quantums, display only) */
export function unrealizedPnlQuantums(
  sizeLots: bigint,
  entryNotional: bigint,
  oraclePriceTicks: bigint,
  quantumsPerTickLot: bigint,
): bigint {
  return sizeLots * oraclePriceTicks * quantumsPerTickLot - entryNotional;
}

/* displayed collateral = quoteBalance + Σ entryNotional   (quantums, display only) */
export function displayedCollateralQuantums(
  quoteBalance: bigint,
  positions: readonly { readonly entryNotional: bigint }[],
): bigint {
  let c = quoteBalance;
  for (const p of positions) c += p.entryNotional;
  return c;
}
