/**
 * What one block's execution carries around: its height and time, the events it emits (in
 * emission order, which is deterministic), and the dirty set for persistence.
 */
import type { AppEvent } from "../../lib/abci.js";
import { fromUnits } from "../../lib/fixed.js";
import type { FillRecord } from "./fills.js";
import type { Dirty, Exchange, MarketRec, OrderRec } from "./types.js";

export interface BlockCtx {
  readonly height: number;
  readonly timeMs: number;
  readonly events: AppEvent[];
  readonly dirty: Dirty;
}

export function event(
  type: string,
  attrs: Record<string, string | number | bigint | boolean>,
): AppEvent {
  return {
    type,
    attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: String(v) })),
  };
}

export function priceText(m: MarketRec, ticks: bigint | number): string {
  return fromUnits(BigInt(ticks), m.params.tickSize);
}

export function sizeText(m: MarketRec, lots: bigint | number): string {
  return fromUnits(BigInt(lots), m.params.stepSize);
}

export function fillEvent(m: MarketRec, f: FillRecord, liquidation = false): AppEvent {
  return event("fill", {
    market: f.market,
    maker: f.maker,
    taker: f.taker,
    makerOrderId: f.makerOrderId,
    takerOrderId: f.takerOrderId,
    takerSide: f.takerSide,
    price: priceText(m, f.priceTicks),
    size: sizeText(m, f.sizeLots),
    makerFee: f.makerFeeQuantums,
    takerFee: f.takerFeeQuantums,
    liquidation,
  });
}

export function orderEvent(
  m: MarketRec,
  o: OrderRec,
  status: string,
  remainingLots: number | bigint,
  reason = "",
): AppEvent {
  return event("order", {
    market: o.market,
    owner: o.owner,
    orderId: o.id,
    clientId: o.clientId,
    side: o.side,
    price: priceText(m, o.priceTicks),
    size: sizeText(m, o.sizeLots),
    remaining: sizeText(m, remainingLots),
    status,
    reason,
  });
}

export function markMarket(ctx: BlockCtx, m: MarketRec): void {
  ctx.dirty.markets.add(m.params.id);
}

export function touchGlobals(ctx: BlockCtx): void {
  ctx.dirty.globals = true;
}

export function marketOrFail(ex: Exchange, id: string): MarketRec | undefined {
  return ex.markets.get(id);
}
