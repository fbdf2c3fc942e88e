/**
 * A cross-margin account, in dYdX v4's accounting (x/subaccounts): a signed quote balance and
 * signed perpetual positions.
 *
 * A buy of notional N lowers `quoteBalance` by N and a sell raises it, so trading conserves
 * Σ quoteBalance over all accounts. Risk reads only `quoteBalance`, sizes, oracle prices and
 * the funding index, all exact integers. `entryNotional` is a display-only cost basis.
 *
 * The nonce window and open orders live elsewhere (state/accounts).
 */

export interface Position {
  /** Market id. */
  readonly market: string;
  /** Signed size in lots: long > 0, short < 0; never 0 (a closed position is removed). */
  readonly sizeLots: bigint;
  /**
   * Signed cost basis in quantums (long > 0, short < 0), for display of the entry price and
   * unrealized PnL only: unrealizedPnl = sizeLots × oraclePriceTicks × quantumsPerTickLot −
   * entryNotional. It is rounded toward zero when a position is reduced (state/margin/
   * entryNotional.ts), so it may differ from the exact average by < 1 quantum per reduction.
   */
  readonly entryNotional: bigint;
  /** The market's cumulative funding index when this position last settled funding. */
  readonly fundingIndex: bigint;
}

export interface Account {
  /** "0x" + 40 hex digits. */
  readonly address: string;
  /** Signed USDC quantums. */
  readonly quoteBalance: bigint;
  /** At most one per market, sorted by market id ascending. */
  readonly positions: readonly Position[];
}
