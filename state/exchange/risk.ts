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
import { divRound, PPM, Rounding } from "../../lib/fixed.js";
import { settleFunding, unsettledFundingQuantums } from "../funding/index.js";
import {
  equityQuantums,
  marginRequirements,
  marketInitialMarginFractionPpm,
} from "../margin/index.js";
import { isStale } from "../oracle/index.js";
import type { Account, Position } from "../types/account.js";
import { marketOf } from "../types/market.js";
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

/**
 * checkTrade as first written: build the hypothetical account, then equity and IMR of it.
 * The reference the fused version below must agree with (risk.test.ts).
 */
export function checkTradeReference(
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

/*
 * The same verdict in one pass over the positions, without building the hypothetical
 * account (it runs 2–3 times per order). With P' the positions after the trade:
 *   equity' = quote + quoteDelta + settled funding of the traded position
 *             + Σ_{P'} size × oracle × quantumsPerTickLot
 *             + Σ_{P' untraded} unsettled funding      (the traded one settles to the index: 0)
 *   IMR'    = ceil(Σ_{P'} |size × oracle × quantumsPerTickLot| × IMF_adj / 10^6)
 * Exact bigint sums: the order of the terms does not matter, so this equals
 * equityQuantums / marginRequirements of hypotheticalAfterTrade term for term.
 */
export function checkTrade(
  ex: Exchange,
  acct: AccountRec,
  m: MarketRec,
  signedLots: bigint,
  quoteDelta: bigint,
  height: number,
): TradeVerdict {
  const id = m.params.id;
  const ps = acct.positions;
  let before = 0n;
  for (let i = 0; i < ps.length; i++) {
    if (ps[i].market === id) {
      before = ps[i].sizeLots;
      break;
    }
  }
  const reducing = reducesOnly(before, signedLots);
  if (!reducing && isStale(m, height)) return "stale_oracle";
  const index = m.state.cumulativeFundingIndex;
  let equity = acct.quoteBalance + quoteDelta;
  let initialScaled = 0n;
  let found = false;
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i];
    let size = p.sizeLots;
    const mk = marketOf(ex.markets, p.market);
    if (p.market === id) {
      found = true;
      equity += settleFunding(size, p.fundingIndex, index).quoteDeltaQuantums;
      size += signedLots;
      if (size === 0n) continue;
    } else {
      equity += unsettledFundingQuantums(size, p.fundingIndex, mk.state.cumulativeFundingIndex);
    }
    const value = size * mk.state.oraclePriceTicks * mk.params.quantumsPerTickLot;
    equity += value;
    if (!reducing)
      initialScaled += (value < 0n ? -value : value) * marketInitialMarginFractionPpm(mk);
  }
  if (!found && signedLots !== 0n) {
    const mk = marketOf(ex.markets, id);
    const value = signedLots * mk.state.oraclePriceTicks * mk.params.quantumsPerTickLot;
    equity += value;
    if (!reducing)
      initialScaled += (value < 0n ? -value : value) * marketInitialMarginFractionPpm(mk);
  }
  if (reducing) return equity >= 0n ? "ok" : "bankrupt";
  // Ceil: the requirement rounded up holds at least the exact margin (favours the system).
  return equity >= divRound(initialScaled, PPM, Rounding.Ceil) ? "ok" : "insufficient_margin";
}
