/**
 * Position bookkeeping on an account: lookup, replacement (kept sorted by market id, zero
 * positions removed), and lazy funding settlement before any change to a position.
 */
import { recordSettlement, settleFunding } from "../funding/index.js";
import type { Position } from "../types/account.js";
import type { AccountRec, MarketRec } from "./types.js";

export function positionOf(acct: AccountRec, market: string): Position | undefined {
  for (const p of acct.positions) if (p.market === market) return p;
  return undefined;
}

export function sizeOf(acct: AccountRec, market: string): bigint {
  return positionOf(acct, market)?.sizeLots ?? 0n;
}

/** Replaces (or inserts, or removes when size is 0) the position of `p.market`. */
export function putPosition(acct: AccountRec, p: Position): void {
  const out: Position[] = [];
  let placed = false;
  for (const q of acct.positions) {
    if (q.market === p.market) continue;
    if (!placed && q.market > p.market) {
      if (p.sizeLots !== 0n) out.push(p);
      placed = true;
    }
    out.push(q);
  }
  if (!placed && p.sizeLots !== 0n) out.push(p);
  acct.positions = out;
}

/**
 * Settles the funding a position owes or is owed since its last settlement into the quote
 * balance, and moves its index to the market's (dYdX's lazy settlement: done whenever the
 * position is about to change). Returns the quote change.
 */
export function settlePositionFunding(acct: AccountRec, m: MarketRec): bigint {
  const p = positionOf(acct, m.params.id);
  const index = m.state.cumulativeFundingIndex;
  if (!p || p.fundingIndex === index) return 0n;
  const s = settleFunding(p.sizeLots, p.fundingIndex, index);
  acct.quoteBalance += s.quoteDeltaQuantums;
  m.fundingLedger = recordSettlement(m.fundingLedger, s);
  putPosition(acct, { ...p, fundingIndex: index });
  return s.quoteDeltaQuantums;
}
