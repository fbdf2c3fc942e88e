/**
 * Stop and take-profit orders wait off-book and enter the book when the oracle price
 * crosses their trigger (DESIGN.md section 6; dYdX v4 conditional orders):
 *   stop buy          triggers when oracle ≥ trigger      (breakout / stop-loss of a short)
 *   stop sell         triggers when oracle ≤ trigger      (stop-loss of a long)
 *   take_profit buy   triggers when oracle ≤ trigger
 *   take_profit sell  triggers when oracle ≥ trigger
 * Triggered orders run in order id order (deterministic), as takers, with the same checks
 * as a new order; one that fails them is cancelled with the reason.
 */
import { PerpetuaError } from "../../lib/errors.js";
import { type BlockCtx, orderEvent } from "./context.js";
import { decOpen, executeTaker } from "./execute.js";
import { collateralizeOrder } from "./placeOrder.js";
import type { Exchange, MarketRec, OrderRec } from "./types.js";

export function isTriggered(o: OrderRec, oracleTicks: bigint): boolean {
  const t = o.trigger!;
  const up = (t.kind === "stop") === (o.side === "buy");
  return up ? oracleTicks >= t.priceTicks : oracleTicks <= t.priceTicks;
}

export function runTriggers(ex: Exchange, ctx: BlockCtx, m: MarketRec): void {
  if (m.triggers.size === 0) return;
  const oracle = m.state.oraclePriceTicks;
  const fired = [...m.triggers.values()]
    .filter((o) => isTriggered(o, oracle))
    .sort((a, b) => a.id - b.id);
  for (const o of fired) {
    m.triggers.delete(o.id);
    ctx.dirty.orders.set(o.id, null);
    decOpen(ex, o.owner);
    ctx.dirty.markets.add(m.params.id);
    ctx.events.push(orderEvent(m, o, "triggered", o.sizeLots));
    const acct = ex.accounts.get(o.owner)!;
    const rec: OrderRec = { ...o, trigger: undefined };
    try {
      const maxFillLots = collateralizeOrder(ex, acct, m, rec, ctx.height);
      executeTaker(ex, ctx, m, rec, { maxFillLots });
    } catch (e) {
      if (!(e instanceof PerpetuaError)) throw e;
      ctx.events.push(orderEvent(m, o, "cancelled", o.sizeLots, e.message));
    }
  }
}

/** Good-til-block expiry: orders live through their goodTilBlock and leave at the next height. */
export function expireOrders(ex: Exchange, ctx: BlockCtx, m: MarketRec): void {
  for (const e of m.book.expire(ctx.height)) {
    const o = m.resting.get(e.orderId)!;
    m.resting.delete(o.id);
    ctx.dirty.orders.set(o.id, null);
    decOpen(ex, o.owner);
    ctx.dirty.markets.add(m.params.id);
    ctx.events.push(orderEvent(m, o, "expired", e.remainingLots));
  }
  const expired = [...m.triggers.values()]
    .filter((o) => o.goodTilBlock !== undefined && o.goodTilBlock < ctx.height)
    .sort((a, b) => a.id - b.id);
  for (const o of expired) {
    m.triggers.delete(o.id);
    ctx.dirty.orders.set(o.id, null);
    decOpen(ex, o.owner);
    ctx.events.push(orderEvent(m, o, "expired", o.sizeLots));
  }
}
