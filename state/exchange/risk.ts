/**
 * The collateralization check of one prospective trade (DESIGN.md section 6, after dYdX v4
 * x/clob's collateralization check and x/subaccounts UpdateSubaccounts):
 *
 *  - a fill is allowed when the account meets its initial margin requirement after it
 *    (equity' ≥ IMR'); or when it only reduces the position (no growth, no flip) and leaves
 *    equity' ≥ 0 — closing risk is always allowed unless it makes the account bankrupt;
 *  - in a market whose oracle is stale, no fill may open or grow a position.
 *
 * Everything is evaluated on a hypothetical copy (funding settled as it would be), so a
 * rejected trade changes nothing.
 */
import { settleFunding } from "../funding/index.js";
import { equityQuantums, marginRequirements } from "../margin/index.js";
import { isStale } from "../oracle/index.js";
import type { Account, Position } from "../types/account.js";
import { positionOf } from "./positions.js";
import type { AccountRec, Exchange, MarketRec } from "./types.js";

export type TradeVerdict = "ok" | "insufficient_margin" | "stale_oracle" | "bankrupt";

/** The account as it would be after trading `signedLots` for `quoteDelta` in market `m`. */
export function hypotheticalAfterTrade(
  acct: Account,
  m: MarketRec,
  signedLots: bigint,
  quoteDelta: bigint,
): Account {
  const id = m.params.id;
  const index = m.state.cumulativeFundingIndex;
  let quote = acct.quoteBalance + quoteDelta;
  const positions: Position[] = [];
  let found = false;
  for (const p of acct.positions) {
    if (p.market !== id) {
      positions.push(p);
      continue;
    }
    found = true;
    quote += settleFunding(p.sizeLots, p.fundingIndex, index).quoteDeltaQuantums;
    const size = p.sizeLots + signedLots;
    if (size !== 0n)
      positions.push({ market: id, sizeLots: size, entryNotional: 0n, fundingIndex: index });
  }
  if (!found && signedLots !== 0n) {
    positions.push({ market: id, sizeLots: signedLots, entryNotional: 0n, fundingIndex: index });
    positions.sort((a, b) => (a.market < b.market ? -1 : a.market > b.market ? 1 : 0));
  }
  return { address: acct.address, quoteBalance: quote, positions };
}

export function reducesOnly(before: bigint, signedLots: bigint): boolean {
  if (before === 0n || signedLots === 0n) return false;
  const after = before + signedLots;
  if (after === 0n) return true;
  return (
    before > 0n === after > 0n && (after < 0n ? -after : after) < (before < 0n ? -before : before)
  );
}

export function checkTrade(
  ex: Exchange,
  acct: AccountRec,
  m: MarketRec,
  signedLots: bigint,
  quoteDelta: bigint,
  height: number,
): TradeVerdict {
  const before = positionOf(acct, m.params.id)?.sizeLots ?? 0n;
  const reducing = reducesOnly(before, signedLots);
  if (!reducing && isStale(m, height)) return "stale_oracle";
  const after = hypotheticalAfterTrade(acct, m, signedLots, quoteDelta);
  const equity = equityQuantums(after, ex.markets);
  if (reducing) return equity >= 0n ? "ok" : "bankrupt";
  const req = marginRequirements(after.positions, ex.markets);
  return equity >= req.initialQuantums ? "ok" : "insufficient_margin";
}
