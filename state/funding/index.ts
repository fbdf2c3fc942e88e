/** Funding: premium samples, rate per interval, cumulative index, lazy settlement. */
export { FUNDING_INDEX_SCALE, nextFundingIndex } from "./fundingIndex.js";
export { addPremiumSample, type FundingTickRecord, fundingTick } from "./fundingTick.js";
export {
  type BookLevels,
  type ImpactPrice,
  impactPrice,
  premiumSampleFromBook,
  premiumSamplePpm,
} from "./premium.js";
export { fundingIntervalsElapsed, fundingRatePpm } from "./rate.js";
export {
  EMPTY_FUNDING_LEDGER,
  type FundingLedger,
  type FundingSettlement,
  fundingLedgerConsistent,
  fundingPoolQuantums,
  recordSettlement,
  settleFunding,
  sweepFundingDust,
  unsettledFundingQuantums,
} from "./settle.js";
export { type AccountFundingSettlement, settleAccountFunding } from "./settleAccount.js";
