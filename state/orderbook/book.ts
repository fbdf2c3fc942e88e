/**
 * The fast order book. Same behaviour as reference.ts (proved by equivalence.test.ts), built
 * for speed:
 *
 * - a price level is a FIFO of order nodes in an intrusive doubly linked list, so an order
 *   leaves its level in O(1) wherever it is;
 * - each side keeps its levels sorted by key = sign × price (bids: key = price; asks:
 *   key = −price) in a two-level structure of small sorted chunks with the best level last,
 *   plus a Map price → level (see BookSide). The best price is O(1) and consuming the best
 *   level is a pop; a new price costs two binary searches, O(log L), and a move of at most
 *   one chunk. A level emptied below the top stays in place until a sweep, so cancels deep
 *   in the book do no array work and a new order at a recently used price is a Map hit;
 * - a Map id → node and per-owner Maps clientId → node give O(1) cancel by id and by
 *   clientId and list an owner's orders without scanning the book;
 * - order nodes are recycled (OrderNode), so a steady order flow allocates little that
 *   outlives one operation;
 * - goodTilBlock index: Map height → Set of nodes, plus a min-heap of heights that have (or
 *   had) a set, so `expire` only touches what expires.
 *
 * Output order never comes from Map or Set iteration alone: every list an owner or an
 * expiry produces is sorted by order id before events are emitted.
 */
import { ErrorCode, fail, InvariantError } from "../../lib/errors.js";
import { remainderReason, targetLots } from "./remainder.js";
import {
  checkSnapshot,
  copyOrder,
  fromSnapshotOrder,
  hashSnapshot,
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
  type SnapshotOrder,
} from "./types.js";
import { checkDepthLevels, checkHeight, lesser, takerBound, validateNewOrder } from "./validate.js";

/**
 * A resting order and its links in its level's FIFO. Nodes are recycled through a free
 * list (see FastBook.removeNode): resting orders live for thousands of operations, long
 * enough for the young-generation collector to copy and promote each new one, so reusing
 * them keeps the collector's work independent of the order flow. Nothing outside the book
 * holds a node: events are separate objects, views return copies, and the fill guard must
 * not keep the maker it is shown.
 */
interface OrderNode extends RestingOrder {
  prev: OrderNode | null;
  next: OrderNode | null;
  level: PriceLevel | null;
  /** The owner's clientId → node map this node is in. */
  ownerOrders: Map<number, OrderNode> | null;
}

/**
 * A blank node. An object literal rather than a class: V8 tracks the survival of objects
 * from a literal's allocation site and, seeing that nodes live long, allocates them
 * directly in the old generation (pretenuring) instead of copying each one out of the
 * young generation, which matters while a book grows.
 */
function newNode(): OrderNode {
  return {
    prev: null,
    next: null,
    id: 0,
    owner: 0,
    clientId: 0,
    side: "buy",
    priceTicks: 0,
    sizeLots: 0,
    remainingLots: 0,
    goodTilBlock: null,
    level: null,
    ownerOrders: null,
  };
}

/** All orders at one price on one side, oldest at head. totalLots = Σ remainingLots. */
class PriceLevel {
  head: OrderNode | null = null;
  tail: OrderNode | null = null;
  totalLots = 0;
  count = 0;
  /** In FastBook.changedLevels (changed since the last invariant check). */
  changed = false;
  constructor(
    readonly priceTicks: number,
    /** sign × price: larger is better on either side. */
    readonly key: number,
  ) {}
}

/** Most recycled nodes kept (about 5 MB). */
const FREE_NODES_MAX = 1 << 16;

/** Most changed orders remembered between checks (then the next check is a full walk). */
const CHANGED_MAX = 1 << 18;

/** Most levels per chunk of a BookSide; a fuller chunk splits in two. */
const CHUNK = 128;

/**
 * One side's price levels, sorted by key ascending (best LAST) in a list of chunks: each
 * chunk a sorted array of at most CHUNK levels, every key in a chunk below every key in the
 * next (a two-level B-tree). Finding a new level's place is two binary searches,
 * O(log L); inserting it moves at most CHUNK levels, and a split moves L / CHUNK chunk
 * references, so the side stays fast with hundreds of thousands of levels over a wide range.
 *
 * A level that empties anywhere but at the top stays in place (empty, still in `byPrice`):
 * cancels deep in the book cost no array work and a new order at a recently used price is a
 * Map hit. An empty best level is dropped at once, together with any empty levels below it,
 * so invariant: `best`, the last level of the last chunk, is null or non-empty. Empty levels
 * are swept out in one pass when they outnumber the non-empty ones (amortized O(1) per
 * emptied level).
 */
class BookSide {
  /** Non-empty chunks, in key order. */
  private chunks: PriceLevel[][] = [];
  /** The best level (last of the last chunk), or null when the side is empty. */
  best: PriceLevel | null = null;
  readonly byPrice = new Map<number, PriceLevel>();
  /** Number of empty levels held. */
  empties = 0;
  constructor(
    readonly side: Side,
    /** +1 for bids (higher is better), −1 for asks (lower is better). */
    readonly sign: 1 | -1,
  ) {}

  /** The level at `priceTicks`, created (empty) if absent. The caller adds an order to it. */
  levelFor(priceTicks: number): PriceLevel {
    const existing = this.byPrice.get(priceTicks);
    if (existing !== undefined) {
      if (existing.count === 0) this.empties--;
      return existing;
    }
    const level = new PriceLevel(priceTicks, this.sign * priceTicks);
    this.byPrice.set(priceTicks, level);
    this.insertLevel(level);
    return level;
  }

  private insertLevel(level: PriceLevel): void {
    const chunks = this.chunks;
    const n = chunks.length;
    const key = level.key;
    if (n === 0) {
      chunks.push([level]);
      this.best = level;
      return;
    }
    let at: number;
    if (key > this.best!.key) {
      // New best price: the common case for a new level.
      at = n - 1;
      chunks[at].push(level);
      this.best = level;
    } else {
      // First chunk whose last key is above `key`; exists because the best key is.
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const c = chunks[mid];
        if (c[c.length - 1].key < key) lo = mid + 1;
        else hi = mid;
      }
      at = lo;
      const chunk = chunks[at];
      let l = 0;
      let h = chunk.length;
      while (l < h) {
        const mid = (l + h) >>> 1;
        if (chunk[mid].key < key) l = mid + 1;
        else h = mid;
      }
      chunk.splice(l, 0, level);
    }
    const chunk = chunks[at];
    if (chunk.length > CHUNK) chunks.splice(at + 1, 0, chunk.splice(chunk.length >> 1));
  }

  /** Called when `level` lost its last order. */
  emptied(level: PriceLevel): void {
    if (level !== this.best) {
      if (++this.empties > 64 && this.empties > this.byPrice.size >> 1) this.sweep();
      return;
    }
    this.popBest();
    // Restore the invariant: the new best level must be non-empty.
    while (this.best !== null && this.best.count === 0) {
      this.popBest();
      this.empties--;
    }
  }

  private popBest(): void {
    const chunks = this.chunks;
    const last = chunks[chunks.length - 1];
    this.byPrice.delete(last.pop()!.priceTicks);
    if (last.length > 0) this.best = last[last.length - 1];
    else {
      chunks.pop();
      const n = chunks.length;
      this.best = n > 0 ? chunks[n - 1][chunks[n - 1].length - 1] : null;
    }
  }

  /** Drops every empty level and repacks the chunks half full. */
  private sweep(): void {
    const kept: PriceLevel[] = [];
    for (const chunk of this.chunks) {
      for (const level of chunk) {
        if (level.count > 0) kept.push(level);
        else this.byPrice.delete(level.priceTicks);
      }
    }
    this.empties = 0;
    this.rebuild(kept);
  }

  /** Replaces the contents with `levels`, which must be sorted by key ascending. */
  rebuild(levels: PriceLevel[]): void {
    const chunks: PriceLevel[][] = [];
    for (let i = 0; i < levels.length; i += CHUNK >> 1)
      chunks.push(levels.slice(i, i + (CHUNK >> 1)));
    this.chunks = chunks;
    this.best = levels.length > 0 ? levels[levels.length - 1] : null;
  }

  /** Every level held (empty ones too), best first. Do not change the side meanwhile. */
  *bestFirst(): Generator<PriceLevel> {
    const chunks = this.chunks;
    for (let i = chunks.length - 1; i >= 0; i--) {
      const chunk = chunks[i];
      for (let j = chunk.length - 1; j >= 0; j--) yield chunk[j];
    }
  }

  /** Chunk structure check for checkInvariants: sizes within bounds, no empty chunk. */
  chunksOk(): boolean {
    for (const chunk of this.chunks) if (chunk.length === 0 || chunk.length > CHUNK) return false;
    return true;
  }
}

export class FastBook implements OrderBook {
  private readonly bids = new BookSide("buy", 1);
  private readonly asks = new BookSide("sell", -1);
  private readonly byId = new Map<number, OrderNode>();
  /**
   * owner → (clientId → node). An owner's map is kept when it empties (a market maker's
   * orders come and go all the time) and empty maps are swept when they outnumber the
   * others. Keys stay small integers, never a composite that would need boxing.
   */
  private readonly byOwner = new Map<number, Map<number, OrderNode>>();
  private emptyOwnerMaps = 0;
  /** Recycled nodes, linked through `next`. */
  private freeNodes: OrderNode | null = null;
  private freeCount = 0;
  private readonly byExpiry = new Map<number, Set<OrderNode>>();
  /** Min-heap of goodTilBlock heights; may hold heights whose set is gone (skipped). */
  private expiryHeap: number[] = [];
  /** Levels and live nodes changed since the last check: what `checkChanged` looks at. */
  private changedLevels: PriceLevel[] = [];
  private changedNodes: OrderNode[] = [];
  private changedOverflow = false;

  static restore(snapshot: BookSnapshot): FastBook {
    checkSnapshot(snapshot);
    const book = new FastBook();
    // Snapshot levels come best first with their orders oldest first: appending keeps
    // FIFO, and each side receives its levels in one piece (reversed: best last).
    const sides: [SnapshotLevel[], BookSide][] = [
      [snapshot.bids, book.bids],
      [snapshot.asks, book.asks],
    ];
    for (const [levels, side] of sides) {
      const bestFirst: PriceLevel[] = [];
      for (const [priceTicks, orders] of levels) {
        const level = new PriceLevel(priceTicks, side.sign * priceTicks);
        bestFirst.push(level);
        side.byPrice.set(priceTicks, level);
        for (const t of orders) {
          const o = fromSnapshotOrder(side.side, priceTicks, t);
          book.append(level, o, o.remainingLots);
        }
      }
      side.rebuild(bestFirst.reverse());
    }
    return book;
  }

  /** Rests an order at the back of its price level. */
  private insert(order: NewOrder, remainingLots: number): void {
    const side = order.side === "buy" ? this.bids : this.asks;
    this.append(side.levelFor(order.priceTicks), order, remainingLots);
  }

  /** Appends an order at the back of `level` and indexes it. */
  private append(
    level: PriceLevel,
    o: Readonly<Omit<RestingOrder, "remainingLots" | "goodTilBlock">> & {
      goodTilBlock?: number | null;
    },
    remainingLots: number,
  ): void {
    let node = this.freeNodes;
    if (node === null) node = newNode();
    else {
      this.freeNodes = node.next;
      node.next = null;
      this.freeCount--;
    }
    const gtb = o.goodTilBlock ?? null;
    node.id = o.id;
    node.owner = o.owner;
    node.clientId = o.clientId;
    node.side = o.side;
    node.priceTicks = o.priceTicks;
    node.sizeLots = o.sizeLots;
    node.remainingLots = remainingLots;
    node.goodTilBlock = gtb;
    node.level = level;
    const tail = level.tail;
    if (tail !== null) {
      tail.next = node;
      node.prev = tail;
    } else level.head = node;
    level.tail = node;
    level.totalLots += remainingLots;
    level.count++;
    this.markChanged(level);
    this.noteChanged(node);
    this.byId.set(node.id, node);
    let orders = this.byOwner.get(node.owner);
    if (orders === undefined) {
      orders = new Map();
      this.byOwner.set(node.owner, orders);
    } else if (orders.size === 0) this.emptyOwnerMaps--;
    orders.set(node.clientId, node);
    node.ownerOrders = orders;
    if (gtb !== null) this.indexExpiry(node, gtb);
  }

  /**
   * Records a changed order for the next `checkChanged`. A book nobody checks (a tool, a
   * benchmark) must not grow this list forever: past CHANGED_MAX entries it is dropped and
   * the next check walks the whole book instead.
   */
  private noteChanged(node: OrderNode): void {
    if (this.changedNodes.length < CHANGED_MAX) this.changedNodes.push(node);
    else this.changedOverflow = true;
  }

  private markChanged(level: PriceLevel): void {
    if (level.changed) return;
    if (this.changedLevels.length >= CHANGED_MAX) {
      this.changedOverflow = true;
      return;
    }
    level.changed = true;
    this.changedLevels.push(level);
  }

  private indexExpiry(node: OrderNode, gtb: number): void {
    let set = this.byExpiry.get(gtb);
    if (set === undefined) {
      set = new Set();
      this.byExpiry.set(gtb, set);
      heapPush(this.expiryHeap, gtb);
      // Stale heights accumulate when sets are emptied and recreated; rebuild the heap from
      // the live heights when they outnumber them. Heap pops come out by value, so the
      // Map's iteration order here cannot reach any output.
      if (this.expiryHeap.length > 64 + 2 * this.byExpiry.size) {
        const heap: number[] = [];
        for (const h of this.byExpiry.keys()) heapPush(heap, h);
        this.expiryHeap = heap;
      }
    }
    set.add(node);
  }

  /**
   * Unlinks a node from its level (dropping the level when empty) and every index, and
   * recycles it. Its fields stay readable until the next order rests, which is after the
   * caller has built its events.
   */
  private removeNode(node: OrderNode): void {
    const level = node.level!;
    const prev = node.prev;
    const next = node.next;
    if (prev === null) level.head = next;
    else prev.next = next;
    if (next === null) level.tail = prev;
    else next.prev = prev;
    level.totalLots -= node.remainingLots;
    this.markChanged(level);
    if (prev !== null) this.noteChanged(prev);
    if (next !== null) this.noteChanged(next);
    if (--level.count === 0) (node.side === "buy" ? this.bids : this.asks).emptied(level);
    this.byId.delete(node.id);
    const orders = node.ownerOrders!;
    orders.delete(node.clientId);
    if (orders.size === 0 && ++this.emptyOwnerMaps > 1024) this.sweepOwners();
    const gtb = node.goodTilBlock;
    if (gtb !== null) {
      const set = this.byExpiry.get(gtb);
      if (set !== undefined) {
        set.delete(node);
        if (set.size === 0) this.byExpiry.delete(gtb);
      }
    }
    // `next` becomes the free-list link; `prev`, `level` and `ownerOrders` are dropped so a
    // free node keeps nothing else alive. The data fields stay for the caller's events.
    node.prev = null;
    node.level = null;
    node.ownerOrders = null;
    if (this.freeCount < FREE_NODES_MAX) {
      node.next = this.freeNodes;
      this.freeNodes = node;
      this.freeCount++;
    } else node.next = null;
  }

  /** Drops the owners' empty clientId maps once they outnumber the non-empty ones. */
  private sweepOwners(): void {
    if (this.emptyOwnerMaps <= this.byOwner.size >> 1) return;
    // Deleting while iterating a Map is well defined; the order cannot reach any output.
    for (const [owner, orders] of this.byOwner) if (orders.size === 0) this.byOwner.delete(owner);
    this.emptyOwnerMaps = 0;
  }

  place(order: NewOrder, height: number, guard?: FillGuard): BookEvent[] {
    validateNewOrder(order, height);
    if (this.byId.has(order.id)) fail(ErrorCode.DUPLICATE_ORDER_ID, `order ${order.id} is live`);
    if (this.byOwner.get(order.owner)?.has(order.clientId)) {
      fail(ErrorCode.DUPLICATE_CLIENT_ID, `clientId ${order.clientId} is live`);
    }
    const isBuy = order.side === "buy";
    const opposite = isBuy ? this.asks : this.bids;
    // A buy accepts maker prices <= bound, a sell prices >= bound.
    const bound = takerBound(order);
    if (order.tif === "post_only" && opposite.best !== null) {
      const best = opposite.best.priceTicks;
      if (isBuy ? best <= bound : best >= bound) {
        fail(ErrorCode.POST_ONLY_WOULD_CROSS, "post-only order would cross");
      }
    }
    if (order.type === "market" && opposite.best === null) {
      fail(ErrorCode.NO_LIQUIDITY, "no liquidity on the other side");
    }
    const stp = order.stp ?? "cancel_maker";
    const target = targetLots(order);
    if (order.tif === "fok") this.checkFillOrKill(order, bound, stp, target);

    const events: BookEvent[] = [];
    const owner = order.owner;
    let filled = 0;
    let takerCancelReason: CancelReason | null = null;
    match: while (filled < target && opposite.best !== null) {
      const level = opposite.best;
      const price = level.priceTicks;
      if (isBuy ? price > bound : price < bound) break;
      let node = level.head;
      // When the last node of the level goes, `opposite.best` moves on and next is null.
      while (node !== null && filled < target) {
        const next: OrderNode | null = node.next;
        if (node.owner === owner) {
          if (stp !== "cancel_taker") {
            this.removeNode(node);
            events.push(cancelEvent(node, "stp_maker"));
          }
          if (stp !== "cancel_maker") {
            takerCancelReason = "stp_taker";
            break match;
          }
          node = next;
          continue;
        }
        const want = target - filled;
        const lots = lesser(node.remainingLots, want);
        if (guard !== undefined) {
          const decision = guard(node, order, price, lots);
          if (decision !== FillDecision.Accept) {
            if (decision === FillDecision.RejectMaker) {
              this.removeNode(node);
              events.push(cancelEvent(node, "guard_maker"));
              node = next;
              continue;
            }
            takerCancelReason = "guard_taker";
            break match;
          }
        }
        filled += lots;
        const left = node.remainingLots - lots;
        events.push({
          kind: "fill",
          makerId: node.id,
          makerOwner: node.owner,
          takerId: order.id,
          takerOwner: owner,
          takerSide: order.side,
          priceTicks: price,
          sizeLots: lots,
          makerRemainingLots: left,
        });
        if (left === 0) this.removeNode(node);
        else {
          node.remainingLots = left;
          level.totalLots -= lots;
          this.markChanged(level);
          this.noteChanged(node);
        }
        node = next;
      }
    }

    const remaining = order.sizeLots - filled;
    if (remaining === 0) return events;
    const reason = takerCancelReason ?? remainderReason(order, filled, target);
    if (reason !== null) {
      events.push({
        kind: "cancel",
        orderId: order.id,
        owner,
        remainingLots: remaining,
        reason,
      });
      return events;
    }
    this.insert(order, remaining);
    events.push({
      kind: "rest",
      orderId: order.id,
      owner,
      side: order.side,
      priceTicks: order.priceTicks,
      remainingLots: remaining,
    });
    return events;
  }

  /**
   * FOK pre-pass, read-only: lots fillable within the bound, skipping own orders under
   * cancel_maker (matching would cancel them) and stopping at the first own order under
   * cancel_taker / cancel_both (matching would stop there), capped at `target`. Throws
   * FOK_NOT_FILLABLE unless that covers the whole size. The guard is not consulted.
   */
  private checkFillOrKill(order: NewOrder, bound: number, stp: string, target: number): void {
    const isBuy = order.side === "buy";
    let fillable = 0;
    scan: for (const level of (isBuy ? this.asks : this.bids).bestFirst()) {
      if (isBuy ? level.priceTicks > bound : level.priceTicks < bound) break;
      for (let node = level.head; node !== null; node = node.next) {
        if (node.owner === order.owner) {
          if (stp === "cancel_maker") continue;
          break scan;
        }
        fillable += node.remainingLots;
        if (fillable >= target) break scan;
      }
    }
    if (fillable > target) fillable = target;
    if (fillable < order.sizeLots) {
      fail(ErrorCode.FOK_NOT_FILLABLE, `only ${fillable} of ${order.sizeLots} lots fillable`);
    }
  }

  cancel(orderId: number): CancelEvent {
    const node = this.byId.get(orderId);
    if (node === undefined) fail(ErrorCode.UNKNOWN_ORDER, `order ${orderId} is not live`);
    this.removeNode(node);
    return cancelEvent(node, "user");
  }

  cancelByClientId(owner: number, clientId: number): CancelEvent {
    const node = this.byOwner.get(owner)?.get(clientId);
    if (node === undefined) {
      fail(ErrorCode.UNKNOWN_ORDER, `no live order with clientId ${clientId} for ${owner}`);
    }
    this.removeNode(node);
    return cancelEvent(node, "user");
  }

  cancelAll(owner: number): CancelEvent[] {
    const nodes = this.ownerNodes(owner);
    const events: CancelEvent[] = [];
    for (const node of nodes) {
      this.removeNode(node);
      events.push(cancelEvent(node, "cancel_all"));
    }
    return events;
  }

  expire(height: number): ExpireEvent[] {
    checkHeight(height);
    const heap = this.expiryHeap;
    const due: OrderNode[] = [];
    while (heap.length > 0 && heap[0] < height) {
      // Deleting the set now makes a duplicate height in the heap find nothing, and lets
      // removeNode below skip the expiry index.
      const gtb = heapPop(heap);
      const set = this.byExpiry.get(gtb);
      if (set !== undefined) {
        this.byExpiry.delete(gtb);
        for (const node of set) due.push(node);
      }
    }
    const events: ExpireEvent[] = [];
    for (const node of sortById(due)) {
      this.removeNode(node);
      events.push({
        kind: "expire",
        orderId: node.id,
        owner: node.owner,
        remainingLots: node.remainingLots,
      });
    }
    return events;
  }

  bestBid(): number | undefined {
    return this.bids.best?.priceTicks;
  }

  bestAsk(): number | undefined {
    return this.asks.best?.priceTicks;
  }

  *levels(side: Side): Generator<[priceTicks: number, totalLots: number]> {
    for (const level of (side === "buy" ? this.bids : this.asks).bestFirst()) {
      if (level.count > 0) yield [level.priceTicks, level.totalLots];
    }
  }

  depth(levels: number): Depth {
    checkDepthLevels(levels);
    return { bids: this.topLevels(this.bids, levels), asks: this.topLevels(this.asks, levels) };
  }

  private topLevels(side: BookSide, levels: number): [number, number][] {
    const out: [number, number][] = [];
    if (levels === 0) return out;
    for (const level of side.bestFirst()) {
      if (level.count === 0) continue;
      out.push([level.priceTicks, level.totalLots]);
      if (out.length === levels) break;
    }
    return out;
  }

  levelTotal(side: Side, priceTicks: number): number {
    return (side === "buy" ? this.bids : this.asks).byPrice.get(priceTicks)?.totalLots ?? 0;
  }

  getOrder(id: number): RestingOrder | undefined {
    const node = this.byId.get(id);
    return node === undefined ? undefined : copyOrder(node);
  }

  getOrderByClientId(owner: number, clientId: number): RestingOrder | undefined {
    const node = this.byOwner.get(owner)?.get(clientId);
    return node === undefined ? undefined : copyOrder(node);
  }

  ordersOf(owner: number): RestingOrder[] {
    return this.ownerNodes(owner).map(copyOrder);
  }

  /** The owner's live orders by id ascending. */
  private ownerNodes(owner: number): OrderNode[] {
    const orders = this.byOwner.get(owner);
    return orders === undefined ? [] : sortById([...orders.values()]);
  }

  size(): number {
    return this.byId.size;
  }

  snapshot(): BookSnapshot {
    return { version: 1, bids: this.sideLevels(this.bids), asks: this.sideLevels(this.asks) };
  }

  private sideLevels(side: BookSide): SnapshotLevel[] {
    const out: SnapshotLevel[] = [];
    for (const level of side.bestFirst()) {
      if (level.count === 0) continue;
      const orders: SnapshotOrder[] = [];
      for (let node = level.head; node !== null; node = node.next)
        orders.push(toSnapshotOrder(node));
      out.push([level.priceTicks, orders]);
    }
    return out;
  }

  stateHash(): Uint8Array {
    return hashSnapshot(this.snapshot());
  }

  /**
   * The book's invariants (DESIGN.md section 6: never crossed, level totals equal their
   * orders) and its structure, in O(orders + levels + owners) pointer walks: levels in
   * strictly increasing key order, the best level non-empty, chunk sizes bounded; per
   * level, links, back-pointers, prices, counts and totals consistent; every index holding
   * as many orders as the levels. `deep` also looks every order up in every index and checks
   * the expiry heap and the free list: for tests, several times slower on a large book.
   */
  /**
   * The per-block check, O(changes) rather than O(orders): the book is uncrossed, each
   * changed level's ends and counters agree (head and tail present iff it holds orders, a
   * total of at least one lot per order), each order placed, partly filled or next to a
   * removed one is linked both ways in its level with sane fields and indexed by id. What
   * only a walk can prove (each level's total equals its orders, the indexes' sizes) the
   * full check proves; the exchange runs it every FULL_CHECK_BLOCKS blocks.
   */
  checkChanged(): void {
    if (this.changedOverflow) {
      this.checkInvariants();
      return;
    }
    const broken = (message: string): never => {
      throw new InvariantError("orderbook", message);
    };
    const levels = this.changedLevels;
    const nodes = this.changedNodes;
    this.changedLevels = [];
    this.changedNodes = [];
    for (const side of [this.bids, this.asks]) {
      const best = side.best;
      if (best !== null && best.count === 0) broken(`${side.side} best level is empty`);
    }
    const bid = this.bestBid();
    const ask = this.bestAsk();
    if (bid !== undefined && ask !== undefined && bid >= ask) broken(`crossed: ${bid} >= ${ask}`);
    for (const level of levels) {
      level.changed = false;
      const empty = level.count === 0;
      if ((level.head === null) !== empty || (level.tail === null) !== empty) {
        broken(`ends of level ${level.priceTicks}`);
      }
      if (empty ? level.totalLots !== 0 : level.totalLots < level.count || level.count < 0) {
        broken(`total of level ${level.priceTicks}`);
      }
      if (!empty && (level.head!.prev !== null || level.tail!.next !== null)) {
        broken(`ends of level ${level.priceTicks}`);
      }
    }
    for (const node of nodes) {
      const level = node.level;
      if (level === null) continue; // removed (and free) since it was recorded
      const { prev, next } = node;
      if (prev === null ? level.head !== node : prev.next !== node || prev.level !== level) {
        broken(`links of order ${node.id}`);
      }
      if (next === null ? level.tail !== node : next.prev !== node || next.level !== level) {
        broken(`links of order ${node.id}`);
      }
      if (node.priceTicks !== level.priceTicks) broken(`price of order ${node.id}`);
      if (node.remainingLots <= 0 || node.remainingLots > node.sizeLots) {
        broken(`remaining size of order ${node.id}`);
      }
      if (this.byId.get(node.id) !== node) broken(`id index of ${node.id}`);
    }
  }

  checkInvariants(deep = false): void {
    for (const level of this.changedLevels) level.changed = false;
    this.changedLevels = [];
    this.changedNodes = [];
    this.changedOverflow = false;
    const broken = (message: string): never => {
      throw new InvariantError("orderbook", message);
    };
    let orders = 0;
    let expiring = 0;
    for (const side of [this.bids, this.asks]) {
      if (!side.chunksOk()) broken(`${side.side} chunk sizes`);
      const best = side.best;
      if (best !== null && best.count === 0) broken(`${side.side} best level is empty`);
      let levels = 0;
      let empties = 0;
      let first = true;
      let nextKey = 0;
      // Best first, so keys must strictly decrease.
      for (const level of side.bestFirst()) {
        if (first ? level !== best : level.key >= nextKey) broken(`${side.side} level order`);
        first = false;
        nextKey = level.key;
        levels++;
        if (level.key !== side.sign * level.priceTicks) broken(`key of ${level.priceTicks}`);
        if (deep && side.byPrice.get(level.priceTicks) !== level) {
          broken(`level index at ${level.priceTicks}`);
        }
        let total = 0;
        let count = 0;
        let prev: OrderNode | null = null;
        for (let node = level.head; node !== null; node = node.next) {
          if (node.prev !== prev || node.level !== level || node.side !== side.side) {
            broken(`links of order ${node.id}`);
          }
          if (node.priceTicks !== level.priceTicks) broken(`price of order ${node.id}`);
          if (node.remainingLots <= 0 || node.remainingLots > node.sizeLots) {
            broken(`remaining size of order ${node.id}`);
          }
          if (node.goodTilBlock !== null) {
            expiring++;
            if (deep && !this.byExpiry.get(node.goodTilBlock)?.has(node)) {
              broken(`expiry index of ${node.id}`);
            }
          }
          if (deep) {
            if (this.byId.get(node.id) !== node) broken(`id index of ${node.id}`);
            const owned = this.byOwner.get(node.owner);
            if (node.ownerOrders !== owned || owned?.get(node.clientId) !== node) {
              broken(`clientId index of ${node.id}`);
            }
          }
          total += node.remainingLots;
          count++;
          prev = node;
        }
        if (level.tail !== prev) broken(`tail of level ${level.priceTicks}`);
        if (count !== level.count) broken(`count of level ${level.priceTicks}`);
        if (total !== level.totalLots) broken(`total of level ${level.priceTicks}`);
        if (count === 0) empties++;
        orders += count;
      }
      if (first !== (best === null)) broken(`${side.side} best level`);
      if (levels !== side.byPrice.size) broken(`${side.side} level index size`);
      if (empties !== side.empties) broken(`${side.side} empty level count`);
    }
    const bid = this.bestBid();
    const ask = this.bestAsk();
    if (bid !== undefined && ask !== undefined && bid >= ask) broken(`crossed: ${bid} >= ${ask}`);

    if (orders !== this.byId.size) broken("id index size");
    let owned = 0;
    let emptyMaps = 0;
    for (const clientIds of this.byOwner.values()) {
      if (clientIds.size === 0) emptyMaps++;
      owned += clientIds.size;
      if (deep) {
        clientIds.forEach((node, clientId) => {
          if (node.ownerOrders !== clientIds || node.clientId !== clientId)
            broken("clientId index");
        });
      }
    }
    if (owned !== orders) broken("clientId index size");
    if (emptyMaps !== this.emptyOwnerMaps) broken("empty owner map count");
    let indexed = 0;
    for (const set of this.byExpiry.values()) {
      if (set.size === 0) broken("empty expiry set");
      indexed += set.size;
    }
    if (indexed !== expiring) broken("expiry index size");
    if (!deep) return;

    const heights = new Set(this.expiryHeap);
    for (const gtb of this.byExpiry.keys()) {
      if (!heights.has(gtb)) broken(`expiry height ${gtb} not in heap`);
    }
    const heap = this.expiryHeap;
    for (let i = 1; i < heap.length; i++) {
      if (heap[(i - 1) >> 1] > heap[i]) broken("expiry heap order");
    }
    let free = 0;
    for (let n = this.freeNodes; n !== null; n = n.next) {
      if (n.level !== null || this.byId.get(n.id) === n) broken(`free node ${n.id} is live`);
      free++;
    }
    if (free !== this.freeCount || free > FREE_NODES_MAX) broken("free node count");
  }
}

function cancelEvent(node: OrderNode, reason: CancelReason): CancelEvent {
  return {
    kind: "cancel",
    orderId: node.id,
    owner: node.owner,
    remainingLots: node.remainingLots,
    reason,
  };
}

function sortById(nodes: OrderNode[]): OrderNode[] {
  return nodes.sort((a, b) => a.id - b.id);
}

/** Binary min-heap on a plain array: parent of i is (i − 1) >> 1. */
function heapPush(heap: number[], value: number): void {
  let i = heap.length;
  heap.push(value);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent] <= value) break;
    heap[i] = heap[parent];
    i = parent;
  }
  heap[i] = value;
}

function heapPop(heap: number[]): number {
  const top = heap[0];
  const last = heap.pop()!;
  const n = heap.length;
  if (n > 0) {
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && heap[right] < heap[left] ? right : left;
      if (heap[child] >= last) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
  }
  return top;
}
