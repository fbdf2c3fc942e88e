/**
 * Auto-deleveraging (DESIGN.md section 6; dYdX v4 x/clob deleveraging, ranked as
 * Hyperliquid and BitMEX do): what a bankrupt account's position cannot close in the book
 * with the insurance fund's help is closed against opposite positions, ranked by
 *
 *   score = unrealized PnL × leverage = pnl × notional / equity        (descending)
 *
 * (only counterparties with equity > 0; ties by address), at the bankruptcy price: the
 * bankrupt account receives exactly dYdX's bankruptcy quote (rounded toward +∞ for it) and
 * the counterparty pays it, so the account ends at equity ≈ 0 and no USDC is created.
 */
import { abs } from "../../lib/fixed.js";
import { type BlockCtx, event, priceText, sizeText } from "../exchange/context.js";
import { tradeInto } from "../exchange/fills.js";
import { positionOf, settlePositionFunding } from "../exchange/positions.js";
import type { AccountRec, Exchange, MarketRec } from "../exchange/types.js";
import { bankruptcyPrice, equityQuantums, unrealizedPnlQuantums } from "../margin/index.js";

export interface DeleverageFill {
  readonly counterparty: string;
  readonly sizeLots: string;
  readonly quoteQuantums: string;
  readonly priceTicks: string;
}

interface Candidate {
  acct: AccountRec;
  pnl: bigint;
  notional: bigint;
  equity: bigint;
}

/* a before b ⇔ a.pnl × a.notional × b.equity > b.pnl × b.notional × a.equity (equities > 0) */
function byScore(a: Candidate, b: Candidate): number {
  const l = a.pnl * a.notional * b.equity;
  const r = b.pnl * b.notional * a.equity;
  if (l !== r) return l > r ? -1 : 1;
  return a.acct.address < b.acct.address ? -1 : 1;
}

export function rankCounterparties(
  ex: Exchange,
  m: MarketRec,
  bankrupt: AccountRec,
  side: 1n | -1n,
): Candidate[] {
  const out: Candidate[] = [];
  const q = m.params.quantumsPerTickLot;
  for (const acct of ex.accounts.values()) {
    if (acct === bankrupt) continue;
    const p = positionOf(acct, m.params.id);
    if (!p || (p.sizeLots > 0n ? 1n : -1n) !== -side) continue;
    const equity = equityQuantums(acct, ex.markets);
    if (equity <= 0n) continue;
    out.push({
      acct,
      pnl: unrealizedPnlQuantums(p.sizeLots, p.entryNotional, m.state.oraclePriceTicks, q),
      notional: abs(p.sizeLots) * m.state.oraclePriceTicks * q,
      equity,
    });
  }
  return out.sort(byScore);
}

export function deleverage(
  ex: Exchange,
  ctx: BlockCtx,
  bankrupt: AccountRec,
  m: MarketRec,
): DeleverageFill[] {
  const fills: DeleverageFill[] = [];
  const start = positionOf(bankrupt, m.params.id);
  if (!start) return fills;
  const side: 1n | -1n = start.sizeLots > 0n ? 1n : -1n;
  // The bankrupt account's closing trade: a long closes by selling, a short by buying.
  const closingSide = side > 0n ? "sell" : "buy";
  for (const c of rankCounterparties(ex, m, bankrupt, side)) {
    const pos = positionOf(bankrupt, m.params.id);
    if (!pos) break;
    const cpos = positionOf(c.acct, m.params.id)!;
    const remaining = abs(pos.sizeLots);
    const lots = remaining < abs(cpos.sizeLots) ? remaining : abs(cpos.sizeLots);
    settlePositionFunding(bankrupt, m);
    settlePositionFunding(c.acct, m);
    const bp = bankruptcyPrice(bankrupt, positionOf(bankrupt, m.params.id)!, lots, ex.markets);
    // The bankrupt side closes (−side × lots) and receives deltaQuote; the counterparty
    // takes the opposite trade and pays it. Open interest falls by `lots`.
    tradeInto(bankrupt, m, -side * lots, bp.priceTicks, bp.deltaQuoteQuantums);
    tradeInto(c.acct, m, side * lots, bp.priceTicks, -bp.deltaQuoteQuantums);
    m.state = { ...m.state, openInterestLots: m.state.openInterestLots - lots };
    ctx.dirty.accounts.add(bankrupt.address);
    ctx.dirty.accounts.add(c.acct.address);
    ctx.dirty.markets.add(m.params.id);
    const f: DeleverageFill = {
      counterparty: c.acct.address,
      sizeLots: lots.toString(),
      quoteQuantums: bp.deltaQuoteQuantums.toString(),
      priceTicks: bp.priceTicks.toString(),
    };
    fills.push(f);
    ctx.events.push(
      event("deleverage", {
        market: m.params.id,
        account: bankrupt.address,
        counterparty: c.acct.address,
        size: sizeText(m, lots),
        price: priceText(m, bp.priceTicks),
        quote: bp.deltaQuoteQuantums,
        // Appended last: readers of the earlier attributes (and of older blocks, which lack
        // it) are unaffected; events are not part of the app hash.
        side: closingSide,
      }),
    );
  }
  return fills;
}
