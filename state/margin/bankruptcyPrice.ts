/**
 * Bankruptcy price of closing part of a position.
 *
 * Source: dYdX v4 x/clob/keeper/liquidations.go GetBankruptcyPriceInQuoteQuantums:
 *   deltaQuote = −DNNV − TNC × |DMMR| / TMMR           rounded toward +∞
 * where DNNV is the change of the position's net notional value when the close is applied,
 * TNC the account's total net collateral (our equity, funding included), DMMR the change of
 * the position's maintenance margin and TMMR the account's total maintenance margin. Closing
 * at this quote reduces TNC in proportion to the share of MMR that the closed part carried,
 * so the account keeps TNC × (1 − |DMMR|/TMMR) for what remains and ends at exactly zero when
 * everything closes at bankruptcy prices.
 */
import { divRound, Rounding } from "../../lib/fixed.js";
import type { Account, Position } from "../types/account.js";
import { type MarketLookup, marketOf } from "../types/market.js";
import { equityQuantums } from "./equity.js";
import { marginRequirementsScaled } from "./requirements.js";

export interface BankruptcyPrice {
  /**
   * Quote quantums the account receives (negative: pays) for closing `closeLots`, dYdX's
   * deltaQuoteQuantums, rounded toward +∞.
   */
  readonly deltaQuoteQuantums: bigint;
  /**
   * The price as whole ticks, rounded against the liquidated account: up for a long (it sells
   * no lower), down for a short (it buys no higher), so a fill at this price never needs the
   * insurance fund because of rounding. For a long of a liquidatable account it is > 0 (TNC ×
   * MMF < TMMR). For a short it is ≤ 0 when TNC ≤ −TMMR / MMF: no positive buy price brings
   * the account back to zero equity, so any close needs the insurance fund.
   */
  readonly priceTicks: bigint;
}

/*
 * With c = closeLots, s the position size, p0 its oracle price, q = quantumsPerTickLot,
 * f its MMF, TMMR_s = Σ N_i × MMF_i (quantums × ppm, exact) and TNC = equity:
 *   DNNV       = −sign(s) × c × p0 × q
 *   |DMMR| × 10^6 = c × p0 × q × f                        (linear MMR: exact)
 *   deltaQuote = sign(s) × c × p0 × q − TNC × c × p0 × q × f / TMMR_s
 *   price      = |deltaQuote| / (c × q)
 *              = p0 × (TMMR_s − TNC × f) / TMMR_s         for a long
 *              = p0 × (TMMR_s + TNC × f) / TMMR_s         for a short
 * Requires 0 < c ≤ |s| and TMMR_s > 0.
 */
export function bankruptcyPrice(
  account: Account,
  position: Position,
  closeLots: bigint,
  markets: MarketLookup,
): BankruptcyPrice {
  const s = position.sizeLots;
  const absS = s < 0n ? -s : s;
  if (closeLots <= 0n || closeLots > absS) {
    throw new RangeError(`closeLots ${closeLots} must be in (0, ${absS}]`);
  }
  const m = marketOf(markets, position.market);
  const q = m.params.quantumsPerTickLot;
  const f = m.params.maintenanceMarginPpm;
  const p0 = m.state.oraclePriceTicks;
  const tmmrScaled = marginRequirementsScaled(account.positions, markets).maintenanceScaled;
  if (tmmrScaled <= 0n) throw new RangeError("bankruptcy price needs a maintenance margin > 0");
  const tnc = equityQuantums(account, markets);

  const closedNotional = closeLots * p0 * q;
  const sign = s > 0n ? 1n : -1n;
  // Floor of the subtracted share = deltaQuote rounded toward +∞ (dYdX's direction): the
  // account must receive at least (or pay at most) the exact amount, so a close at this quote
  // never leaves a rounding shortfall for the insurance fund.
  const share = divRound(tnc * closedNotional * f, tmmrScaled, Rounding.Floor);
  const deltaQuoteQuantums = sign * closedNotional - share;

  const num = p0 * (s > 0n ? tmmrScaled - tnc * f : tmmrScaled + tnc * f);
  // Long: ceil (sell no lower than bankruptcy); short: floor (buy no higher).
  const priceTicks = divRound(num, tmmrScaled, s > 0n ? Rounding.Ceil : Rounding.Floor);
  return { deltaQuoteQuantums, priceTicks };
}
