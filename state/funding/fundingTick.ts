/**
 * The per-block funding step of one market: add this block's premium sample, and at an
 * interval boundary turn the samples into a rate and move the cumulative index.
 */
import type { Market, MarketState } from "../types/market.js";
import { nextFundingIndex } from "./fundingIndex.js";
import { fundingIntervalsElapsed, fundingRatePpm } from "./rate.js";

/** Inputs and outcome of one boundary, for events and `explain`. */
export interface FundingTickRecord {
  readonly market: string;
  readonly premiumSampleSumPpm: bigint;
  readonly premiumSampleCount: number;
  readonly ratePpm: bigint;
  readonly oraclePriceTicks: bigint;
  readonly indexBefore: bigint;
  readonly indexAfter: bigint;
  /** Whole intervals elapsed since the last boundary (> 1 after a chain halt). */
  readonly intervals: number;
}

export function addPremiumSample(state: MarketState, samplePpm: bigint): MarketState {
  return {
    ...state,
    premiumSampleSumPpm: state.premiumSampleSumPpm + samplePpm,
    premiumSampleCount: state.premiumSampleCount + 1,
  };
}

/*
 * When k = intervals elapsed ≥ 1 at block time t:
 *   rate = fundingRatePpm(samples)           applied once, at the current oracle price
 *   index' = index + rate × oracle × q
 *   lastFundingTime' = lastFundingTime + k × interval     (boundaries stay on the grid)
 *   samples reset
 * The rate is applied once even when k > 1: intervals without blocks have no samples, and
 * charging k × rate after a halt would bill traders for a market nobody could trade.
 */
export function fundingTick(
  market: Market,
  blockTimeMs: number,
): { state: MarketState; record: FundingTickRecord | undefined } {
  const { params, state } = market;
  const k = fundingIntervalsElapsed(
    state.lastFundingTimeMs,
    blockTimeMs,
    params.fundingIntervalSeconds,
  );
  if (k === 0) return { state, record: undefined };
  const ratePpm = fundingRatePpm(params, state.premiumSampleSumPpm, state.premiumSampleCount);
  const indexAfter = nextFundingIndex(
    state.cumulativeFundingIndex,
    ratePpm,
    state.oraclePriceTicks,
    params.quantumsPerTickLot,
  );
  return {
    state: {
      ...state,
      cumulativeFundingIndex: indexAfter,
      premiumSampleSumPpm: 0n,
      premiumSampleCount: 0,
      lastFundingTimeMs: state.lastFundingTimeMs + k * params.fundingIntervalSeconds * 1000,
      lastFundingRatePpm: ratePpm,
    },
    record: {
      market: params.id,
      premiumSampleSumPpm: state.premiumSampleSumPpm,
      premiumSampleCount: state.premiumSampleCount,
      ratePpm,
      oraclePriceTicks: state.oraclePriceTicks,
      indexBefore: state.cumulativeFundingIndex,
      indexAfter,
      intervals: k,
    },
  };
}
