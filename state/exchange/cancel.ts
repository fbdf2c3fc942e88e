/**
 * cancel_order and cancel_all. A trader can cancel only its own orders; an order id of
 * someone else's is reported as unknown (no information leaks). Untriggered stop and
 * take-profit orders are cancelled the same way as resting ones.
 */
import { ErrorCode, fail } from "../../lib/errors.js";
import type { CancelAllMsg, CancelOrderMsg } from "../types/tx.js";
import { type BlockCtx, orderEvent, touchGlobals } from "./context.js";
import { decOpen, removeResting } from "./execute.js";
import { findByClientId } from "./placeOrder.js";
import { type MsgResult, ok } from "./results.js";
import type { AccountRec, Exchange, MarketRec, OrderRec } from "./types.js";

function removeTrigger(
  ex: Exchange,
  ctx: BlockCtx,
  m: MarketRec,
  o: OrderRec,
  reason: string,
): void {
  m.triggers.delete(o.id);
  ctx.dirty.orders.set(o.id, null);
  decOpen(ex, o.owner);
  ctx.dirty.markets.add(m.params.id);
  ctx.events.push(orderEvent(m, o, "cancelled", o.sizeLots, reason));
}

function cancelOne(ex: Exchange, ctx: BlockCtx, m: MarketRec, o: OrderRec, reason: string): void {
  if (m.triggers.has(o.id)) {
    removeTrigger(ex, ctx, m, o, reason);
    return;
  }
  const e = m.book.cancel(o.id);
  removeResting(ex, ctx, m, o);
  ctx.dirty.markets.add(m.params.id);
  ctx.events.push(orderEvent(m, o, "cancelled", e.remainingLots, reason));
}

export function cancelOrder(
  ex: Exchange,
  ctx: BlockCtx,
  acct: AccountRec,
  msg: CancelOrderMsg,
): MsgResult {
  const m = ex.markets.get(msg.market);
  if (!m) fail(ErrorCode.UNKNOWN_MARKET, `unknown market ${msg.market}`);
  let o: OrderRec | undefined;
  if (msg.orderId !== undefined) {
    o = m.resting.get(msg.orderId) ?? m.triggers.get(msg.orderId);
    if (o && o.owner !== acct.address) o = undefined;
  } else {
    o = findByClientId(m, acct, msg.clientId!);
  }
  if (!o) {
    fail(
      ErrorCode.UNKNOWN_ORDER,
      msg.orderId !== undefined
        ? `no open order ${msg.orderId} of yours in ${msg.market}`
        : `no open order with clientId ${msg.clientId} of yours in ${msg.market}`,
    );
  }
  cancelOne(ex, ctx, m, o, "user");
  touchGlobals(ctx);
  return ok("cancelled", { orderId: o.id, status: "cancelled" });
}

/** Cancels every open order of `acct` in `markets` (sorted ids), resting then untriggered. */
export function cancelAllOf(
  ex: Exchange,
  ctx: BlockCtx,
  acct: AccountRec,
  marketIds: readonly string[],
  reason: string,
): number {
  let n = 0;
  for (const id of marketIds) {
    const m = ex.markets.get(id)!;
    for (const e of m.book.cancelAll(acct.ownerId)) {
      const o = m.resting.get(e.orderId)!;
      removeResting(ex, ctx, m, o);
      ctx.events.push(orderEvent(m, o, "cancelled", e.remainingLots, reason));
      n++;
    }
    const mine = [...m.triggers.values()]
      .filter((t) => t.ownerId === acct.ownerId)
      .sort((a, b) => a.id - b.id);
    for (const t of mine) {
      removeTrigger(ex, ctx, m, t, reason);
      n++;
    }
    ctx.dirty.markets.add(id);
  }
  if (n > 0) touchGlobals(ctx);
  return n;
}

export function cancelAll(
  ex: Exchange,
  ctx: BlockCtx,
  acct: AccountRec,
  msg: CancelAllMsg,
): MsgResult {
  if (msg.market !== undefined && !ex.markets.has(msg.market)) {
    fail(ErrorCode.UNKNOWN_MARKET, `unknown market ${msg.market}`);
  }
  const n = cancelAllOf(ex, ctx, acct, msg.market ? [msg.market] : ex.marketIds, "cancel_all");
  return ok(`cancelled ${n}`, { cancelled: n });
}
