/**
 * Applying one fill to both accounts (dYdX v4 accounting, x/clob ProcessSingleMatch):
 *
 *   notional N = sizeLots × priceTicks × quantumsPerTickLot          (exact, quantums)
 *   buyer:  quoteBalance −= N, size += lots;  seller: quoteBalance += N, size −= lots
 *   taker fee  = ceil(N × takerFeePpm / 10^6)         rounded up: the system never undercharges
 *   maker fee  = ceil(N × makerFeePpm / 10^6) when ≥ 0; a rebate (makerFeePpm < 0) is
 *                −floor(N × |makerFeePpm| / 10^6): rebates round down, so with
 *                |makerFeePpm| ≤ takerFeePpm the pool gains taker − rebate ≥ 0 on every fill
 *   open interest = Σ long lots, updated from both accounts' sizes before and after
 *
 * Funding is settled on both positions first, so the position index only moves with it.
 */
import { divRound, PPM, Rounding } from "../../lib/fixed.js";
import { entryNotionalAfterFill } from "../margin/index.js";
import type { Side } from "../orderbook/index.js";
import { positionOf, putPosition, settlePositionFunding } from "./positions.js";
import type { AccountRec, Exchange, MarketRec } from "./types.js";

export interface FillRecord {
  readonly market: string;
  readonly makerOrderId: number;
  readonly takerOrderId: number;
  readonly maker: string;
  readonly taker: string;
  readonly takerSide: Side;
  readonly priceTicks: bigint;
  readonly sizeLots: bigint;
  readonly notionalQuantums: bigint;
  readonly makerFeeQuantums: bigint;
  readonly takerFeeQuantums: bigint;
}

export function feeQuantums(notional: bigint, feePpm: bigint): bigint {
  if (feePpm >= 0n) return divRound(notional * feePpm, PPM, Rounding.Ceil);
  // Rebate: floor of its magnitude (never pays out more than the exact rebate).
  return -divRound(notional * -feePpm, PPM, Rounding.Floor);
}

function longLots(size: bigint): bigint {
  return size > 0n ? size : 0n;
}

/** Moves `signedLots` (positive = buy) at `priceTicks` into `acct`'s position. */
export function tradeInto(
  acct: AccountRec,
  m: MarketRec,
  signedLots: bigint,
  priceTicks: bigint,
  quoteDelta: bigint,
): void {
  const q = m.params.quantumsPerTickLot;
  const p = positionOf(acct, m.params.id);
  const size = p?.sizeLots ?? 0n;
  const entry = p?.entryNotional ?? 0n;
  acct.quoteBalance += quoteDelta;
  putPosition(acct, {
    market: m.params.id,
    sizeLots: size + signedLots,
    entryNotional: entryNotionalAfterFill(size, entry, signedLots, priceTicks, q),
    fundingIndex: m.state.cumulativeFundingIndex,
  });
}

/**
 * Applies a book fill. `takerFeePpm` overrides the market's taker fee (liquidations pay a
 * liquidation fee instead). Returns the fill record for events.
 */
export function applyFill(
  ex: Exchange,
  m: MarketRec,
  maker: AccountRec,
  taker: AccountRec,
  makerOrderId: number,
  takerOrderId: number,
  takerSide: Side,
  priceTicks: bigint,
  sizeLots: bigint,
  takerFeePpm: bigint = m.params.takerFeePpm,
): FillRecord {
  settlePositionFunding(maker, m);
  settlePositionFunding(taker, m);
  const notional = sizeLots * priceTicks * m.params.quantumsPerTickLot;
  const makerFee = feeQuantums(notional, m.params.makerFeePpm);
  const takerFee = feeQuantums(notional, takerFeePpm);
  const takerSign = takerSide === "buy" ? 1n : -1n;
  const oiBefore =
    longLots(positionOf(maker, m.params.id)?.sizeLots ?? 0n) +
    longLots(positionOf(taker, m.params.id)?.sizeLots ?? 0n);
  tradeInto(taker, m, takerSign * sizeLots, priceTicks, -takerSign * notional - takerFee);
  tradeInto(maker, m, -takerSign * sizeLots, priceTicks, takerSign * notional - makerFee);
  const oiAfter =
    longLots(positionOf(maker, m.params.id)?.sizeLots ?? 0n) +
    longLots(positionOf(taker, m.params.id)?.sizeLots ?? 0n);
  m.state = { ...m.state, openInterestLots: m.state.openInterestLots + oiAfter - oiBefore };
  ex.feePoolQuantums += makerFee + takerFee;
  return {
    market: m.params.id,
    makerOrderId,
    takerOrderId,
    maker: maker.address,
    taker: taker.address,
    takerSide,
    priceTicks,
    sizeLots,
    notionalQuantums: notional,
    makerFeeQuantums: makerFee,
    takerFeeQuantums: takerFee,
  };
}
