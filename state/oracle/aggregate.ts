/**
 * Per-market oracle prices from the extended commit of the previous height.
 *
 * Source: Skip Connect (slinky) abci/strategies/aggregator with its vote-weighted median and
 * power threshold (a price is written only when validators holding ≥ 2/3 of the voting power
 * reported it), and dYdX v4 x/prices minPriceChangePpm (a price moves only by at least that
 * fraction). Signatures and the ≥ 2/3 committed-power rule of the block are checked by
 * processProposal before this runs; here every committed vote is taken as authentic.
 */
import type { ExtendedCommitInfo } from "../../lib/abci.js";
import { toHex } from "../../lib/bytes.js";
import { abs, PPM } from "../../lib/fixed.js";
import type { Market, MarketState } from "../types/market.js";
import { tryDecodeExtension } from "./extension.js";
import { weightedMedianTicks } from "./median.js";

export type OracleOutcomeStatus =
  /** ≥ 2/3 reported and the median moved by ≥ minPriceChangePpm: price written. */
  | "updated"
  /** ≥ 2/3 reported, the move was smaller: price kept, but the market is fresh. */
  | "below_min_change"
  /** < 2/3 of the power reported this market: nothing changes (the price ages). */
  | "insufficient_power";

export interface OracleReport {
  /** Validator address, lower-case hex. */
  readonly validator: string;
  readonly priceTicks: bigint;
  readonly power: bigint;
}

export interface OracleMarketOutcome {
  readonly market: string;
  readonly status: OracleOutcomeStatus;
  readonly oldPriceTicks: bigint;
  /** Weighted median of the reports; undefined when nobody reported. */
  readonly medianPriceTicks: bigint | undefined;
  /** The price after this block: the median when updated, else the old price. */
  readonly newPriceTicks: bigint;
  readonly reportingPower: bigint;
  readonly totalPower: bigint;
  /** True when ≥ 2/3 reported: the market's oracleHeight advances (not stale). */
  readonly fresh: boolean;
  /** The reports that counted, by validator address. */
  readonly reports: readonly OracleReport[];
}

export interface IgnoredVote {
  readonly validator: string;
  readonly reason: "not_committed" | "empty_extension" | "invalid_extension" | "duplicate";
  /** The decoder's message for invalid extensions. */
  readonly detail?: string;
}

/** Everything the oracle step saw and decided, kept in block results for `explain`. */
export interface OracleAggregate {
  readonly height: number;
  readonly totalPower: bigint;
  readonly markets: readonly OracleMarketOutcome[];
  readonly ignored: readonly IgnoredVote[];
}

/*
 * Per market m, over committed votes whose extension decodes:
 *   reports_m      = {(price, power) of validators that included m}
 *   reportingPower = Σ power over reports_m;  totalPower = Σ power of all validators in the commit
 *   median         = weightedMedianTicks(reports_m)
 *   fresh          ⇔ 3 × reportingPower ≥ 2 × totalPower                      (≥ 2/3, inclusive)
 *   written        ⇔ fresh ∧ |median − old| × 10^6 ≥ minPriceChangePpm × old
 * A vote whose extension is empty or invalid counts for no market, others still count.
 */
export function aggregateOracle(
  commit: ExtendedCommitInfo,
  markets: readonly Market[],
): OracleAggregate {
  const known = markets.map((m) => m.params.id);
  const seen = new Set<string>();
  const ignored: IgnoredVote[] = [];
  const byMarket = new Map<string, OracleReport[]>();
  let totalPower = 0n;

  for (const vote of commit.votes) {
    const validator = toHex(vote.validator.address);
    if (seen.has(validator)) {
      ignored.push({ validator, reason: "duplicate" });
      continue;
    }
    seen.add(validator);
    const power = BigInt(vote.validator.power);
    totalPower += power;
    if (!vote.committed) {
      ignored.push({ validator, reason: "not_committed" });
      continue;
    }
    if (vote.voteExtension.length === 0) {
      ignored.push({ validator, reason: "empty_extension" });
      continue;
    }
    const decoded = tryDecodeExtension(vote.voteExtension, known);
    if ("error" in decoded) {
      ignored.push({ validator, reason: "invalid_extension", detail: decoded.error.message });
      continue;
    }
    for (const p of decoded.prices) {
      const list = byMarket.get(p.market) ?? [];
      list.push({ validator, priceTicks: p.priceTicks, power });
      byMarket.set(p.market, list);
    }
  }

  const outcomes = [...markets]
    .sort((a, b) => (a.params.id < b.params.id ? -1 : a.params.id > b.params.id ? 1 : 0))
    .map((m) => {
      const reports = (byMarket.get(m.params.id) ?? []).sort((a, b) =>
        a.validator < b.validator ? -1 : a.validator > b.validator ? 1 : 0,
      );
      return marketOutcome(m, reports, totalPower);
    });
  ignored.sort((a, b) => (a.validator < b.validator ? -1 : a.validator > b.validator ? 1 : 0));
  return { height: commit.height, totalPower, markets: outcomes, ignored };
}

function marketOutcome(
  m: Market,
  reports: OracleReport[],
  totalPower: bigint,
): OracleMarketOutcome {
  let reportingPower = 0n;
  for (const r of reports) reportingPower += r.power;
  const old = m.state.oraclePriceTicks;
  const median = weightedMedianTicks(reports);
  // ≥ 2/3 inclusive (DESIGN.md section 6), compared in integers: no rounding.
  const fresh = totalPower > 0n && median !== undefined && reportingPower * 3n >= totalPower * 2n;
  const moved = median !== undefined && abs(median - old) * PPM >= m.params.minPriceChangePpm * old;
  const status: OracleOutcomeStatus = !fresh
    ? "insufficient_power"
    : moved
      ? "updated"
      : "below_min_change";
  return {
    market: m.params.id,
    status,
    oldPriceTicks: old,
    medianPriceTicks: median,
    newPriceTicks: status === "updated" && median !== undefined ? median : old,
    reportingPower,
    totalPower,
    fresh,
    reports,
  };
}

/*
 * Applies one outcome to the market state at `height` (the block being finalized):
 *   price  ← newPriceTicks
 *   oracleHeight ← height when fresh
 * Freshness advances even when the move is below minPriceChangePpm: a quiet market whose
 * validators keep reporting the same price must not turn stale.
 */
export function applyOracleOutcome(
  state: MarketState,
  outcome: OracleMarketOutcome,
  height: number,
): MarketState {
  if (!outcome.fresh) return state;
  return { ...state, oraclePriceTicks: outcome.newPriceTicks, oracleHeight: height };
}
