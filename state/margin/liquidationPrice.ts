/**
 * Liquidation price of one position: the oracle price of its market at which the account's
 * equity equals its maintenance margin, every other price (and funding) held fixed.
 *
 * Source: follows from dYdX v4's liquidation condition (lib/margin Risk.IsLiquidatable:
 * NC < MMR) solved for one price; dYdX's front end shows the same quantity. The MMR here is
 * the exact rational Σ N × MMF / 10^6, not the rounded one, so the price is a property of
 * the position and not of a rounding step.
 */
import { divRound, PPM, Rounding } from "../../lib/fixed.js";
import type { Account, Position } from "../types/account.js";
import { type MarketLookup, marketOf } from "../types/market.js";
import { equityQuantums } from "./equity.js";
import { positionValueQuantums } from "./notional.js";
import { marginRequirementsScaled } from "./requirements.js";

/*
 * For position k (size s lots, MMF f ppm, q = quantumsPerTickLot, oracle p0):
 *   E_o = equity − s × p0 × q                      equity without position k's value
 *   M_o = Σ_{i≠k} N_i × MMF_i                      (quantums × ppm)
 *   equity(p) = E_o + s × p × q
 *   MMR(p)    = (M_o + |s| × p × q × f) / 10^6
 *   equity(p) = MMR(p)  ⇔  p* = (M_o − E_o × 10^6) / (q × (s × 10^6 − |s| × f))
 *
 * Long (s > 0): liquidatable iff p < p*; rounded up (ceil) so the shown price warns no later
 *   than the exact one; undefined when p* ≤ 0 (no positive price liquidates it) or f = 10^6.
 * Short (s < 0): liquidatable iff p > p*; rounded down (floor) to warn earlier; 0 when the
 *   account is liquidatable at every positive price.
 */
export function liquidationPriceTicks(
  account: Account,
  position: Position,
  markets: MarketLookup,
): bigint | undefined {
  const m = marketOf(markets, position.market);
  const s = position.sizeLots;
  const q = m.params.quantumsPerTickLot;
  const f = m.params.maintenanceMarginPpm;
  const p0 = m.state.oraclePriceTicks;
  if (s === 0n) return undefined;

  const others = account.positions.filter((p) => p.market !== position.market);
  const mOther = marginRequirementsScaled(others, markets).maintenanceScaled;
  const eOther = equityQuantums(account, markets) - positionValueQuantums(s, p0, q);

  const absS = s < 0n ? -s : s;
  const num = mOther - eOther * PPM;
  const den = q * (s * PPM - absS * f);
  if (s > 0n) {
    if (den === 0n || num <= 0n) return undefined;
    // Ceil: for a long a higher liquidation price is the earlier (safer) warning.
    return divRound(num, den, Rounding.Ceil);
  }
  // den < 0 for shorts; p* = (E_o × 10^6 − M_o) / (q × |s| × (10^6 + f)).
  if (num >= 0n) return 0n;
  // Floor: for a short a lower liquidation price is the earlier (safer) warning.
  return divRound(num, den, Rounding.Floor);
}
