/**
 * The reference order book: small and obviously correct, slow on purpose.
 *
 * Each side is one array of orders in priority order, best first (bids by price
 * descending, asks ascending, oldest first within a price). Every operation is a linear
 * scan. The fast book (book.ts) must produce the same events, errors and state hash for any
 * command stream (equivalence.test.ts).
 */
import { ErrorCode, fail } from "../../lib/errors.js";
import { remainderReason, targetLots } from "./remainder.js";
import {
  checkSnapshot,
  copyOrder,
  hashSnapshot,
  snapshotOrders,
  toSnapshotOrder,
} from "./snapshot.js";
import {
  type BookEvent,
  type BookSnapshot,
  type CancelEvent,
  type CancelReason,
  type Depth,
  type ExpireEvent,
  FillDecision,
  type FillGuard,
  type NewOrder,
  type OrderBook,
  type RestingOrder,
  type Side,
  type SnapshotLevel,
} from "./types.js";
import { checkDepthLevels, checkHeight, lesser, takerBound, validateNewOrder } from "./validate.js";

export class ReferenceBook implements OrderBook {
  private bids: RestingOrder[] = [];
  private asks: RestingOrder[] = [];

  static restore(snapshot: BookSnapshot): ReferenceBook {
    checkSnapshot(snapshot);
    const book = new ReferenceBook();
    book.bids = snapshotOrders("buy", snapshot.bids);
    book.asks = snapshotOrders("sell", snapshot.asks);
    return book;
  }

  private sideOf(side: Side): RestingOrder[] {
    return side === "buy" ? this.bids : this.asks;
  }

  private all(): RestingOrder[] {
    return [...this.bids, ...this.asks];
  }

  private find(id: number): RestingOrder | undefined {
    return this.all().find((o) => o.id === id);
  }

  private findByClientId(owner: number, clientId: number): RestingOrder | undefined {
    return this.all().find((o) => o.owner === owner && o.clientId === clientId);
  }

  private remove(order: RestingOrder): void {
    const orders = this.sideOf(order.side);
    orders.splice(orders.indexOf(order), 1);
  }

  /** `a` is a better price than `b` for an order on `side`. */
  private static better(side: Side, a: number, b: number): boolean {
    return side === "buy" ? a > b : a < b;
  }

  place(order: NewOrder, height: number, guard?: FillGuard): BookEvent[] {
    validateNewOrder(order, height);
    if (this.find(order.id) !== undefined) {
      fail(ErrorCode.DUPLICATE_ORDER_ID, `order ${order.id} is live`);
    }
    if (this.findByClientId(order.owner, order.clientId) !== undefined) {
      fail(ErrorCode.DUPLICATE_CLIENT_ID, `clientId ${order.clientId} is live`);
    }
    const opposite = order.side === "buy" ? this.asks : this.bids;
    const bound = takerBound(order);
    // The taker accepts a maker price iff it is no worse than its bound.
    const acceptable = (price: number): boolean =>
      order.side === "buy" ? price <= bound : price >= bound;

    if (order.tif === "post_only" && opposite.length > 0 && acceptable(opposite[0].priceTicks)) {
      fail(ErrorCode.POST_ONLY_WOULD_CROSS, "post-only order would cross");
    }
    if (order.type === "market" && opposite.length === 0) {
      fail(ErrorCode.NO_LIQUIDITY, "no liquidity on the other side");
    }
    const stp = order.stp ?? "cancel_maker";
    const target = targetLots(order);

    if (order.tif === "fok") {
      // Read-only pre-pass: what could fill, skipping own orders under cancel_maker (they
      // would be cancelled) and stopping at the first own order otherwise.
      let fillable = 0;
      for (const maker of opposite) {
        if (!acceptable(maker.priceTicks)) break;
        if (maker.owner === order.owner) {
          if (stp === "cancel_maker") continue;
          break;
        }
        fillable += maker.remainingLots;
      }
      if (fillable > target) fillable = target;
      if (fillable < order.sizeLots) {
        fail(ErrorCode.FOK_NOT_FILLABLE, `only ${fillable} of ${order.sizeLots} lots fillable`);
      }
    }

    const events: BookEvent[] = [];
    let filled = 0;
    let takerCancelReason: CancelReason | null = null;
    while (filled < target && opposite.length > 0 && acceptable(opposite[0].priceTicks)) {
      const maker = opposite[0];
      if (maker.owner === order.owner) {
        if (stp === "cancel_maker" || stp === "cancel_both") {
          opposite.shift();
          events.push(cancelEvent(maker, "stp_maker"));
        }
        if (stp === "cancel_taker" || stp === "cancel_both") {
          takerCancelReason = "stp_taker";
          break;
        }
        continue;
      }
      const lots = lesser(maker.remainingLots, target - filled);
      const decision =
        guard === undefined
          ? FillDecision.Accept
          : guard(copyOrder(maker), order, maker.priceTicks, lots);
      if (decision === FillDecision.RejectMaker) {
        opposite.shift();
        events.push(cancelEvent(maker, "guard_maker"));
        continue;
      }
      if (decision !== FillDecision.Accept) {
        takerCancelReason = "guard_taker";
        break;
      }
      maker.remainingLots -= lots;
      filled += lots;
      events.push({
        kind: "fill",
        makerId: maker.id,
        makerOwner: maker.owner,
        takerId: order.id,
        takerOwner: order.owner,
        takerSide: order.side,
        priceTicks: maker.priceTicks,
        sizeLots: lots,
        makerRemainingLots: maker.remainingLots,
      });
      if (maker.remainingLots === 0) opposite.shift();
    }

    const remaining = order.sizeLots - filled;
    if (remaining === 0) return events;
    const reason = takerCancelReason ?? remainderReason(order, filled, target);
    if (reason !== null) {
      events.push({
        kind: "cancel",
        orderId: order.id,
        owner: order.owner,
        remainingLots: remaining,
        reason,
      });
      return events;
    }
    const rested: RestingOrder = {
      id: order.id,
      owner: order.owner,
      clientId: order.clientId,
      side: order.side,
      priceTicks: order.priceTicks,
      sizeLots: order.sizeLots,
      remainingLots: remaining,
      goodTilBlock: order.goodTilBlock ?? null,
    };
    // Behind every order at the same or a better price: price-time priority.
    const own = this.sideOf(order.side);
    let at = 0;
    while (
      at < own.length &&
      !ReferenceBook.better(order.side, order.priceTicks, own[at].priceTicks)
    ) {
      at++;
    }
    own.splice(at, 0, rested);
    events.push({
      kind: "rest",
      orderId: order.id,
      owner: order.owner,
      side: order.side,
      priceTicks: order.priceTicks,
      remainingLots: remaining,
    });
    return events;
  }

  cancel(orderId: number): CancelEvent {
    const order = this.find(orderId);
    if (order === undefined) fail(ErrorCode.UNKNOWN_ORDER, `order ${orderId} is not live`);
    this.remove(order);
    return cancelEvent(order, "user");
  }

  cancelByClientId(owner: number, clientId: number): CancelEvent {
    const order = this.findByClientId(owner, clientId);
    if (order === undefined) {
      fail(ErrorCode.UNKNOWN_ORDER, `no live order with clientId ${clientId} for ${owner}`);
    }
    this.remove(order);
    return cancelEvent(order, "user");
  }

  cancelAll(owner: number): CancelEvent[] {
    const orders = byId(this.all().filter((o) => o.owner === owner));
    for (const o of orders) this.remove(o);
    return orders.map((o) => cancelEvent(o, "cancel_all"));
  }

  expire(height: number): ExpireEvent[] {
    checkHeight(height);
    const orders = byId(
      this.all().filter((o) => o.goodTilBlock !== null && o.goodTilBlock < height),
    );
    for (const o of orders) this.remove(o);
    return orders.map((o) => ({
      kind: "expire",
      orderId: o.id,
      owner: o.owner,
      remainingLots: o.remainingLots,
    }));
  }

  bestBid(): number | undefined {
    return this.bids.length > 0 ? this.bids[0].priceTicks : undefined;
  }

  bestAsk(): number | undefined {
    return this.asks.length > 0 ? this.asks[0].priceTicks : undefined;
  }

  levels(side: Side): Iterable<[priceTicks: number, totalLots: number]> {
    const out: [number, number][] = [];
    for (const o of this.sideOf(side)) {
      const last = out[out.length - 1];
      if (last !== undefined && last[0] === o.priceTicks) last[1] += o.remainingLots;
      else out.push([o.priceTicks, o.remainingLots]);
    }
    return out;
  }

  depth(levels: number): Depth {
    checkDepthLevels(levels);
    return {
      bids: [...this.levels("buy")].slice(0, levels),
      asks: [...this.levels("sell")].slice(0, levels),
    };
  }

  levelTotal(side: Side, priceTicks: number): number {
    let total = 0;
    for (const o of this.sideOf(side)) if (o.priceTicks === priceTicks) total += o.remainingLots;
    return total;
  }

  getOrder(id: number): RestingOrder | undefined {
    const o = this.find(id);
    return o === undefined ? undefined : copyOrder(o);
  }

  getOrderByClientId(owner: number, clientId: number): RestingOrder | undefined {
    const o = this.findByClientId(owner, clientId);
    return o === undefined ? undefined : copyOrder(o);
  }

  ordersOf(owner: number): RestingOrder[] {
    return byId(this.all().filter((o) => o.owner === owner)).map(copyOrder);
  }

  size(): number {
    return this.bids.length + this.asks.length;
  }

  snapshot(): BookSnapshot {
    return { version: 1, bids: toLevels(this.bids), asks: toLevels(this.asks) };
  }

  stateHash(): Uint8Array {
    return hashSnapshot(this.snapshot());
  }

  /** The snapshot checks cover everything this representation can break. */
  checkInvariants(_deep?: boolean): void {
    checkSnapshot(this.snapshot());
  }

  checkChanged(): void {
    this.checkInvariants();
  }
}

function cancelEvent(order: RestingOrder, reason: CancelReason): CancelEvent {
  return {
    kind: "cancel",
    orderId: order.id,
    owner: order.owner,
    remainingLots: order.remainingLots,
    reason,
  };
}

/** Groups a side's orders (priority order) into snapshot levels. */
function toLevels(orders: RestingOrder[]): SnapshotLevel[] {
  const levels: SnapshotLevel[] = [];
  for (const o of orders) {
    const last = levels[levels.length - 1];
    if (last !== undefined && last[0] === o.priceTicks) last[1].push(toSnapshotOrder(o));
    else levels.push([o.priceTicks, [toSnapshotOrder(o)]]);
  }
  return levels;
}

function byId(orders: RestingOrder[]): RestingOrder[] {
  return orders.sort((a, b) => a.id - b.id);
}
