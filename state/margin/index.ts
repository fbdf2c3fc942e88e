/**
 * Margin and risk formulas over plain data: pure, dependency-free beyond lib/, importable by
 * front ends (the SDK re-exports them). docs/risk.md states each formula, unit and rounding.
 */
export { type AccountRisk, accountRisk } from "./accountRisk.js";
export { type BankruptcyPrice, bankruptcyPrice } from "./bankruptcyPrice.js";
export {
  displayedCollateralQuantums,
  entryNotionalAfterFill,
  unrealizedPnlQuantums,
} from "./entryNotional.js";
export {
  equityQuantums,
  freeCollateralQuantums,
  unsettledFundingTotalQuantums,
} from "./equity.js";
export {
  compareLiquidationOrder,
  type HealthKey,
  type HealthRatio,
  healthRatio,
  isLiquidatable,
} from "./health.js";
export {
  initialMarginFractionPpm,
  marketInitialMarginFractionPpm,
} from "./initialMarginFraction.js";
export { liquidationPriceTicks } from "./liquidationPrice.js";
export {
  notionalQuantums,
  openInterestNotionalQuantums,
  positionValueQuantums,
} from "./notional.js";
export { openInterestDeltaLots } from "./openInterest.js";
export {
  type MarginRequirements,
  marginRequirements,
  marginRequirementsScaled,
} from "./requirements.js";
