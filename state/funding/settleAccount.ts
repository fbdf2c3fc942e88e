/**
 * Settles funding for every position of an account at once (before any change to its
 * positions, and before risk checks that should see settled balances).
 */
import type { Account } from "../types/account.js";
import { type MarketLookup, marketOf } from "../types/market.js";
import { type FundingSettlement, settleFunding } from "./settle.js";

export interface AccountFundingSettlement {
  /** The account with funding moved into quoteBalance and every position's index updated. */
  readonly account: Account;
  /** One entry per position whose index moved, by market id (for the market ledgers). */
  readonly settlements: readonly { market: string; settlement: FundingSettlement }[];
}

/* quoteBalance' = quoteBalance + Σ floor(−size_i × (index_market − index_i) / SCALE) */
export function settleAccountFunding(
  account: Account,
  markets: MarketLookup,
): AccountFundingSettlement {
  let quoteBalance = account.quoteBalance;
  const settlements: { market: string; settlement: FundingSettlement }[] = [];
  const positions = account.positions.map((p) => {
    const index = marketOf(markets, p.market).state.cumulativeFundingIndex;
    if (index === p.fundingIndex) return p;
    const settlement = settleFunding(p.sizeLots, p.fundingIndex, index);
    quoteBalance += settlement.quoteDeltaQuantums;
    settlements.push({ market: p.market, settlement });
    return { ...p, fundingIndex: index };
  });
  return { account: { ...account, quoteBalance, positions }, settlements };
}
