/**
 * The cumulative funding index of a market.
 *
 * Source: dYdX v4 x/perpetuals keeper (funding ticks): the index grows by
 * fundingRate × oraclePrice, kept in ppm of quote quantums per base quantum, and positions
 * settle against it lazily (state/funding/settle.ts).
 */
import { PPM } from "../../lib/fixed.js";

/**
 * The index is stored in quantums per lot × FUNDING_INDEX_SCALE. With SCALE = 10^6 (ppm, as
 * dYdX) and rates in ppm, an index step is rate × price × quantumsPerTickLot exactly: the index
 * itself never rounds. The only rounding is at settlement (< 1 quantum per position per
 * settlement, kept by the system as dust), so a larger scale would not reduce dust.
 */
export const FUNDING_INDEX_SCALE = PPM;

/*
 * index' = index + ratePpm × oraclePriceTicks × quantumsPerTickLot × SCALE / 10^6
 *        = index + ratePpm × oraclePriceTicks × quantumsPerTickLot      (SCALE = 10^6, exact)
 *
 * Units: ratePpm / 10^6 is the fraction of one lot's notional (oracle × qptl quantums) that a
 * long pays a short per interval when positive.
 */
export function nextFundingIndex(
  index: bigint,
  ratePpm: bigint,
  oraclePriceTicks: bigint,
  quantumsPerTickLot: bigint,
): bigint {
  return index + ratePpm * oraclePriceTicks * quantumsPerTickLot;
}
