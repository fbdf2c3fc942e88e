/** Oracle: vote-extension codec, stake-weighted median, aggregation, staleness. */
export {
  aggregateOracle,
  applyOracleOutcome,
  type IgnoredVote,
  type OracleAggregate,
  type OracleMarketOutcome,
  type OracleOutcomeStatus,
  type OracleReport,
} from "./aggregate.js";
export {
  decodeExtension,
  encodeExtension,
  MAX_EXTENSION_BYTES,
  MAX_EXTENSION_MARKETS,
  type OraclePrice,
  tryDecodeExtension,
} from "./extension.js";
export { feedPriceToTicks, oraclePricesFromFeed } from "./feedPrices.js";
export { type PriceReport, weightedMedianTicks } from "./median.js";
export { isStale } from "./staleness.js";
