/**
 * The fillable price of a liquidation (dYdX v4 x/clob/keeper/liquidations.go
 * GetFillablePrice), the worst price a liquidation order accepts:
 *
 *   ABR = clamp(BA × (1 − TNC / TMMR), 0, 1)                 adjusted bankruptcy rating
 *   long:  fillable = oracle × (1 − ABR × SMMR × MMF)
 *   short: fillable = oracle × (1 + ABR × SMMR × MMF)
 *
 * with BA = 1 (bankruptcy adjustment) and SMMR = 0.1 (spread to maintenance margin ratio),
 * dYdX's default LiquidationsConfig. The healthier the account (TNC close to TMMR), the
 * closer to the oracle it must be closed; a bankrupt account (TNC ≤ 0) may be closed up to
 * SMMR × MMF away from the oracle.
 */
import { divRound, PPM, Rounding } from "../../lib/fixed.js";
import { equityQuantums, marginRequirementsScaled } from "../margin/index.js";
import type { Account, Position } from "../types/account.js";
import { type MarketLookup, marketOf } from "../types/market.js";

export const BANKRUPTCY_ADJUSTMENT_PPM = 1_000_000n;
export const SPREAD_TO_MAINTENANCE_MARGIN_RATIO_PPM = 100_000n;

/*
 * In integers, with T = TMMR × 10^6 (= Σ N × MMF, exact) and E = TNC:
 *   ABR = clamp((T − E × 10^6) × BA / (T × 10^6), 0, 1) = a / T after clamping a to [0, T]
 *   fillable = oracle × (T × 10^12 ∓ a × SMMR × MMF) / (T × 10^12)
 * rounded so the liquidated account gets no worse than it: a long sells at ≥ fillable
 * (ceil), a short buys at ≤ fillable (floor).
 */
export function fillablePriceTicks(
  account: Account,
  position: Position,
  markets: MarketLookup,
): bigint {
  const m = marketOf(markets, position.market);
  const oracle = m.state.oraclePriceTicks;
  const t = marginRequirementsScaled(account.positions, markets).maintenanceScaled;
  if (t <= 0n) return oracle;
  const e = equityQuantums(account, markets);
  let a = divRound((t - e * PPM) * BANKRUPTCY_ADJUSTMENT_PPM, PPM, Rounding.Floor);
  if (a < 0n) a = 0n;
  if (a > t) a = t;
  const den = t * PPM * PPM;
  const spread = a * SPREAD_TO_MAINTENANCE_MARGIN_RATIO_PPM * m.params.maintenanceMarginPpm;
  if (position.sizeLots > 0n) return divRound(oracle * (den - spread), den, Rounding.Ceil);
  return divRound(oracle * (den + spread), den, Rounding.Floor);
}
