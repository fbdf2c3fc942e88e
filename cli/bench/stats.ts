/**
 * Latency percentiles and the result record of `perpetua bench`. The first four fields are
 * the contract of `--json` (issue 6); the rest say how the figures were obtained.
 */

/**
 * Nearest-rank percentile of ascending `sorted`: the smallest sample with at least p % of
 * the samples at or below it, i.e. sorted[⌈p/100 · n⌉ − 1]. Never interpolates, so the value
 * is one that was measured; 0 for no samples.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} outside 0..100`);
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export interface BenchResult {
  /** Committed transactions per second of the measured window. */
  tx_s: number;
  /**
   * Order messages in the window's committed transactions per second, times the success
   * ratio of the sampled orders (1 when every sampled order executed with code 0).
   */
  orders_s: number;
  /** Submit→commit latency (commit = the `blocks` event reached us), ms. */
  p50_ms: number;
  p99_ms: number;
  p90_ms: number;
  max_ms: number;
  duration_s: number;
  nodes: number;
  accounts: number;
  orders_per_tx: number;
  /** Target rate, or null for the open loop. */
  rate: number | null;
  in_flight: number;
  /** Sent to a node during the window. */
  submitted: number;
  /** Refused by checkTx / the RPC (code name → count). */
  rejected: number;
  rejected_by: Record<string, number>;
  /** Seen in a block during the window (tx_s counts these). */
  committed: number;
  /** Seen in a block after the window, while draining (latencies include them). */
  committed_late: number;
  /** Accepted by a mempool and not seen committed within 30 s of its submission. */
  lost: number;
  /**
   * Outcomes read back with `tx`, one of our transactions per block: how many of them (and
   * of their orders) failed. orders_s is scaled by the orders' success ratio in this sample.
   */
  sampled_txs: number;
  sampled_failed_txs: number;
  sampled_orders: number;
  sampled_failed_orders: number;
  blocks: number;
  /** Mean interval between the blocks of the window, from their header times. */
  block_interval_ms: number;
  /** Heights whose block could not be read (their transactions count as lost). */
  missed_blocks: number;
}

/** Rounds a rate or latency for display and JSON: whole numbers above 100, else 1 decimal. */
export function round(x: number): number {
  return Math.abs(x) >= 100 ? Math.round(x) : Math.round(x * 10) / 10;
}
