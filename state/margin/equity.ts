/**
 * Equity (dYdX's total net collateral, TNC) and free collateral of an account.
 *
 * Source: dYdX v4 x/subaccounts GetNetCollateralAndMarginRequirements: NC = quote balance +
 * Σ signed position notional at the oracle price, after settling funding. Here funding is
 * included as it would settle now (rounded against the account, state/funding/settle.ts), so
 * equity is exactly what the account holds after a settlement.
 */
import { unsettledFundingQuantums } from "../funding/settle.js";
import type { Account } from "../types/account.js";
import { type MarketLookup, marketOf } from "../types/market.js";
import { positionValueQuantums } from "./notional.js";
import { marginRequirements } from "./requirements.js";

/* Σ_i floor(−size_i × (index_market − index_i) / SCALE)   (quantums, signed) */
export function unsettledFundingTotalQuantums(account: Account, markets: MarketLookup): bigint {
  let total = 0n;
  for (const p of account.positions) {
    const m = marketOf(markets, p.market);
    total += unsettledFundingQuantums(p.sizeLots, p.fundingIndex, m.state.cumulativeFundingIndex);
  }
  return total;
}

/*
 * equity = quoteBalance + Σ size_i × oracle_i × quantumsPerTickLot_i + unsettled funding
 * (quantums, signed; exact except the funding rounding, which goes against the account)
 */
export function equityQuantums(account: Account, markets: MarketLookup): bigint {
  let value = account.quoteBalance;
  for (const p of account.positions) {
    const m = marketOf(markets, p.market);
    value += positionValueQuantums(
      p.sizeLots,
      m.state.oraclePriceTicks,
      m.params.quantumsPerTickLot,
    );
  }
  return value + unsettledFundingTotalQuantums(account, markets);
}

/* free collateral = equity − IMR   (quantums; negative = below initial margin) */
export function freeCollateralQuantums(account: Account, markets: MarketLookup): bigint {
  return (
    equityQuantums(account, markets) -
    marginRequirements(account.positions, markets).initialQuantums
  );
}
