/**
 * Everything risk knows about one account, computed once (for the fill guard, liquidation
 * ordering, the `account` query and `explain`).
 */
import type { Account } from "../types/account.js";
import type { MarketLookup } from "../types/market.js";
import { equityQuantums, unsettledFundingTotalQuantums } from "./equity.js";
import { isLiquidatable } from "./health.js";
import { marginRequirements } from "./requirements.js";

export interface AccountRisk {
  readonly equityQuantums: bigint;
  readonly unsettledFundingQuantums: bigint;
  readonly initialQuantums: bigint;
  readonly maintenanceQuantums: bigint;
  /** equity − IMR. */
  readonly freeCollateralQuantums: bigint;
  /** IMR met: equity ≥ IMR (DESIGN.md section 6: fills, withdrawals and transfers). */
  readonly meetsInitial: boolean;
  readonly liquidatable: boolean;
}

export function accountRisk(account: Account, markets: MarketLookup): AccountRisk {
  const equity = equityQuantums(account, markets);
  const req = marginRequirements(account.positions, markets);
  return {
    equityQuantums: equity,
    unsettledFundingQuantums: unsettledFundingTotalQuantums(account, markets),
    initialQuantums: req.initialQuantums,
    maintenanceQuantums: req.maintenanceQuantums,
    freeCollateralQuantums: equity - req.initialQuantums,
    meetsInitial: equity >= req.initialQuantums,
    liquidatable: isLiquidatable(equity, req.maintenanceQuantums),
  };
}
