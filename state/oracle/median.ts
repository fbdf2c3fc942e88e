/**
 * Stake-weighted median of reported prices.
 *
 * Source: Skip Connect (slinky) pkg/math/voteweighted ComputeMedian: sort the reports by price
 * and take the first price at which the cumulative voting power reaches half of the reporting
 * power. Here the half is exact (no integer division of the threshold):
 *   median = price_j for the least j with 2 × Σ_{i ≤ j} power_i ≥ Σ_all power_i
 * Reports with equal prices are interchangeable, so the order among them does not change the
 * result. The median is always one of the reported prices, between the minimum and maximum.
 */

export interface PriceReport {
  readonly priceTicks: bigint;
  /** Voting power, > 0. */
  readonly power: bigint;
}

/** undefined when there is no report with positive power. */
export function weightedMedianTicks(reports: readonly PriceReport[]): bigint | undefined {
  const live = reports.filter((r) => r.power > 0n);
  let total = 0n;
  for (const r of live) total += r.power;
  if (total === 0n) return undefined;
  const sorted = [...live].sort((a, b) =>
    a.priceTicks < b.priceTicks ? -1 : a.priceTicks > b.priceTicks ? 1 : 0,
  );
  let cumulative = 0n;
  for (const r of sorted) {
    cumulative += r.power;
    if (cumulative * 2n >= total) return r.priceTicks;
  }
  return undefined; // unreachable: the last report brings cumulative to total
}
