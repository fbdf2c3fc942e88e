/**
 * The financial invariants of DESIGN.md section 6, checked at the end of every
 * finalizeBlock. A violation throws InvariantError: the node halts rather than commit.
 *
 *  - USDC is conserved: Σ quoteBalance + insurance fund + fee pool + Σ funding pools
 *    = minted (genesis accounts + genesis insurance fund + faucet);
 *  - per market: Σ long lots = Σ short lots = open interest ≤ cap (a fill never pushes it
 *    over; liquidations and deleveraging only reduce it); the funding ledger balances;
 *  - the insurance fund and the fee pool are never negative;
 *  - every book is uncrossed and its level totals equal its orders; the order records
 *    match the book;
 *  - after the liquidation step, an account with negative equity has no position left in a
 *    market where it could have been liquidated (it was deleveraged), unless the market's
 *    oracle is stale or a per-block cap stopped it (`exempt`).
 */
import { InvariantError } from "../../lib/errors.js";
import { fundingLedgerConsistent, fundingPoolQuantums } from "../funding/index.js";
import type { Exchange } from "./types.js";

/**
 * Blocks between full walks of every book; in between, each block walks the price levels
 * its orders changed (`OrderBook.checkChanged`): a book of 50,000 resting orders costs
 * ~15 ms to walk in full, a block of 5,000 orders touches a few hundred levels.
 */
export const FULL_CHECK_BLOCKS = 100;

/** `full`: walk every book entirely (every FULL_CHECK_BLOCKS blocks, and in tests). */
export function checkInvariants(ex: Exchange, full = true): void {
  let total = ex.insuranceFundQuantums + ex.feePoolQuantums;
  if (ex.insuranceFundQuantums < 0n) {
    throw new InvariantError("insurance_fund_non_negative", `fund is ${ex.insuranceFundQuantums}`);
  }
  if (ex.feePoolQuantums < 0n) {
    throw new InvariantError("fee_pool_non_negative", `fee pool is ${ex.feePoolQuantums}`);
  }
  // Σ long and Σ short lots per market, by the market's index in marketIds (positions in a
  // market that is not listed are not compared, as before).
  const index = new Map<string, number>();
  for (let i = 0; i < ex.marketIds.length; i++) index.set(ex.marketIds[i], i);
  const longs: bigint[] = ex.marketIds.map(() => 0n);
  const shorts: bigint[] = ex.marketIds.map(() => 0n);
  for (const a of ex.accounts.values()) {
    total += a.quoteBalance;
    const ps = a.positions;
    for (let j = 0; j < ps.length; j++) {
      const p = ps[j];
      const i = index.get(p.market);
      if (i === undefined) continue;
      if (p.sizeLots > 0n) longs[i] += p.sizeLots;
      else shorts[i] -= p.sizeLots;
    }
  }
  for (let i = 0; i < ex.marketIds.length; i++) {
    const id = ex.marketIds[i];
    const m = ex.markets.get(id)!;
    total += fundingPoolQuantums(m.fundingLedger);
    const l = longs[i];
    const s = shorts[i];
    if (l !== s) throw new InvariantError("long_equals_short", `${id}: longs ${l} != shorts ${s}`);
    if (l !== m.state.openInterestLots) {
      throw new InvariantError(
        "open_interest",
        `${id}: open interest ${m.state.openInterestLots} != longs ${l}`,
      );
    }
    if (!fundingLedgerConsistent(m.fundingLedger)) {
      throw new InvariantError("funding_zero_sum", `${id}: funding ledger does not balance`);
    }
    if (full) m.book.checkInvariants();
    else m.book.checkChanged();
    if (m.book.size() !== m.resting.size) {
      throw new InvariantError(
        "order_records",
        `${id}: book has ${m.book.size()} orders, records ${m.resting.size}`,
      );
    }
  }
  if (total !== ex.mintedQuantums) {
    throw new InvariantError(
      "usdc_conservation",
      `Σ balances + fund + fees + funding pools = ${total}, minted ${ex.mintedQuantums}`,
    );
  }
}
