/**
 * Funding rate of one interval.
 *
 * Source: dYdX v4 x/perpetuals (funding rate = average premium + default funding, clamped by
 * |rate| ≤ fundingRateClampFactor × (initial margin − maintenance margin), see
 * LiquidityTier.GetMaxAbsFundingClampPpm). Intervals are measured in block time, as
 * Hyperliquid's hourly funding; the clamp uses the base IMF, not the OI-scaled one.
 */
import { divRound, max, min, mulDiv, PPM, Rounding } from "../../lib/fixed.js";
import type { MarketParams } from "../types/market.js";

/*
 * maxAbs = floor(clampPpm × (IMF − MMF) / 10^6)
 * rate   = clamp(trunc(Σ samples / count) + baseline, −maxAbs, +maxAbs)      (ppm per interval)
 * With no samples the mean is 0 (the rate is the baseline).
 */
export function fundingRatePpm(
  params: MarketParams,
  premiumSampleSumPpm: bigint,
  premiumSampleCount: number,
): bigint {
  // Trunc: the mean moves money between traders; toward zero never overstates a payment.
  const mean =
    premiumSampleCount > 0
      ? divRound(premiumSampleSumPpm, BigInt(premiumSampleCount), Rounding.Trunc)
      : 0n;
  // Floor: a bound rounded down is the tighter clamp (smaller transfers in extreme markets).
  const maxAbs = mulDiv(
    params.fundingClampPpm,
    params.initialMarginPpm - params.maintenanceMarginPpm,
    PPM,
    Rounding.Floor,
  );
  return max(-maxAbs, min(maxAbs, mean + params.fundingBaselinePpm));
}

/*
 * intervals = floor((blockTimeMs − lastFundingTimeMs) / (intervalSeconds × 1000)), ≥ 0.
 * A boundary is crossed when intervals ≥ 1.
 */
export function fundingIntervalsElapsed(
  lastFundingTimeMs: number,
  blockTimeMs: number,
  fundingIntervalSeconds: number,
): number {
  if (blockTimeMs <= lastFundingTimeMs) return 0;
  const elapsed = BigInt(blockTimeMs) - BigInt(lastFundingTimeMs);
  return Number(elapsed / (BigInt(fundingIntervalSeconds) * 1000n));
}
