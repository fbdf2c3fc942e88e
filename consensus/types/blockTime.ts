/**
 * BFT time (CometBFT spec/consensus/bft-time.md). The time of block h > initial is the
 * power-weighted median of the timestamps of the precommits in its lastCommit; the first
 * block takes the genesis time. A correct validator stamps its precommit with
 * max(local time, block time + 1 ms) (voteTime), so every timestamp in a commit exceeds the
 * committed block's time and the median does too: block time is strictly monotonic, and
 * as long as the faulty validators hold < 1/3 of the power the median lies between
 * timestamps of correct validators. No clock is read here: the commit is the input.
 */
import type { Commit } from "./commit.js";
import type { ValidatorSet } from "./validatorSet.js";

/** Weighted median: the first timestamp (ascending) where cumulative power passes half. */
export function medianTime(commit: Commit, set: ValidatorSet): number {
  const entries = commit.sigs
    .map((s) => ({ t: s.timestampMs, p: set.validators[s.validatorIndex]?.power ?? 0 }))
    .sort((a, b) => a.t - b.t);
  let total = 0;
  for (const e of entries) total += e.p;
  // CometBFT's weightedMedian: median = total/2 (integer), walk until median <= power.
  let median = (total - (total % 2)) / 2;
  for (const e of entries) {
    if (median <= e.p) return e.t;
    median -= e.p;
  }
  return entries.length > 0 ? entries[entries.length - 1].t : 0;
}

/** The timestamp a correct validator puts on its precommit for a block of time `blockTimeMs`. */
export function voteTime(localNowMs: number, blockTimeMs: number): number {
  return localNowMs > blockTimeMs ? localNowMs : blockTimeMs + 1;
}
