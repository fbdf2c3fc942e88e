/**
 * Initial and maintenance margin requirements of a cross-margin account.
 *
 * Source: dYdX v4 lib/margin (Risk{NC, IMR, MMR}) and x/perpetuals/lib
 * GetMarginRequirementsInQuoteQuantums: per position IMR = N × IMF_adj, MMR = N × MMF, summed
 * over positions, rounded up. dYdX rounds each position; here the sum is rounded once, so the
 * account requirement is within 1 quantum of the exact value (and never below it).
 */
import { divRound, PPM, Rounding } from "../../lib/fixed.js";
import type { Position } from "../types/account.js";
import { type MarketLookup, marketOf } from "../types/market.js";
import { marketInitialMarginFractionPpm } from "./initialMarginFraction.js";
import { notionalQuantums } from "./notional.js";

export interface MarginRequirements {
  /** IMR in quantums. */
  readonly initialQuantums: bigint;
  /** MMR in quantums. */
  readonly maintenanceQuantums: bigint;
}

/** Σ N_i × IMF_adj_i and Σ N_i × MMF_i, exact, in quantums × ppm (no rounding yet). */
export function marginRequirementsScaled(
  positions: readonly Position[],
  markets: MarketLookup,
): { initialScaled: bigint; maintenanceScaled: bigint } {
  let initialScaled = 0n;
  let maintenanceScaled = 0n;
  for (const p of positions) {
    const m = marketOf(markets, p.market);
    const n = notionalQuantums(p.sizeLots, m.state.oraclePriceTicks, m.params.quantumsPerTickLot);
    initialScaled += n * marketInitialMarginFractionPpm(m);
    maintenanceScaled += n * m.params.maintenanceMarginPpm;
  }
  return { initialScaled, maintenanceScaled };
}

/*
 * IMR = ceil(Σ N_i × IMF_adj_i / 10^6)     MMR = ceil(Σ N_i × MMF_i / 10^6)     (quantums)
 * N_i = |size_i| × oracle_i × quantumsPerTickLot_i; IMF_adj from the market's open interest.
 */
export function marginRequirements(
  positions: readonly Position[],
  markets: MarketLookup,
): MarginRequirements {
  const { initialScaled, maintenanceScaled } = marginRequirementsScaled(positions, markets);
  return {
    // Ceil: requirements rounded up hold at least the exact margin (favours the system).
    initialQuantums: divRound(initialScaled, PPM, Rounding.Ceil),
    maintenanceQuantums: divRound(maintenanceScaled, PPM, Rounding.Ceil),
  };
}
