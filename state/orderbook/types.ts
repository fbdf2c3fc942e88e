/**
 * Order book data: the orders the book accepts, the orders it holds and the events it emits.
 *
 * The book is per market and knows no balances. Prices (ticks) and sizes (lots) are JS
 * `number` safe integers, checked once at the edge (see validate.ts); the state machine
 * converts them to bigint for money. Everything here is plain data so events and snapshots
 * can be hashed with canonical CBOR.
 */

export type Side = "buy" | "sell";
export type OrderType = "limit" | "market";
export type TimeInForce = "gtc" | "ioc" | "fok" | "post_only";
export type SelfTradePrevention = "cancel_maker" | "cancel_taker" | "cancel_both";

export const SIDES: readonly Side[] = ["buy", "sell"];
export const ORDER_TYPES: readonly OrderType[] = ["limit", "market"];
export const TIMES_IN_FORCE: readonly TimeInForce[] = ["gtc", "ioc", "fok", "post_only"];
export const SELF_TRADE_PREVENTIONS: readonly SelfTradePrevention[] = [
  "cancel_maker",
  "cancel_taker",
  "cancel_both",
];

/** Largest clientId (uint32). */
export const MAX_CLIENT_ID = 0xffff_ffff;

/** An order as the state machine hands it to `place`. */
export interface NewOrder {
  /** Unique, assigned by the caller (non-negative safe integer). */
  id: number;
  /** Account index interned by the caller (non-negative safe integer). */
  owner: number;
  /** Trader-chosen id, uint32, unique per owner among live orders. */
  clientId: number;
  side: Side;
  type: OrderType;
  /**
   * Limit orders: the limit price, a positive safe integer.
   * Market orders: 0 = no protection limit, else the worst price the taker accepts.
   */
  priceTicks: number;
  /** Positive safe integer. */
  sizeLots: number;
  tif: TimeInForce;
  /** Self-trade prevention of this (taker) order; default `cancel_maker`. */
  stp?: SelfTradePrevention;
  /** Live through this height inclusive; removed by `expire(goodTilBlock + 1)`. */
  goodTilBlock?: number;
  /**
   * Reduce-only cap computed by the caller from the position: the taker fills at most this
   * many lots; an order carrying a cap never rests, its remainder is cancelled.
   */
  maxFillLots?: number;
}

/** An order resting on the book. Returned as a copy; mutating it does not touch the book. */
export interface RestingOrder {
  id: number;
  owner: number;
  clientId: number;
  side: Side;
  priceTicks: number;
  /** Size when placed. */
  sizeLots: number;
  /** Unfilled size, 0 < remainingLots <= sizeLots. */
  remainingLots: number;
  /** Last height at which the order is live; null = good till cancelled. */
  goodTilBlock: number | null;
}

export type CancelReason =
  | "user"
  | "ioc_remainder"
  | "stp_maker"
  | "stp_taker"
  | "guard_maker"
  | "guard_taker"
  | "reduce_only_cap"
  | "market_remainder"
  | "cancel_all";

/** A maker and a taker traded `sizeLots` at the maker's price. */
export interface FillEvent {
  kind: "fill";
  makerId: number;
  makerOwner: number;
  takerId: number;
  takerOwner: number;
  takerSide: Side;
  priceTicks: number;
  sizeLots: number;
  /** Maker's remaining size after this fill; 0 = the maker left the book. */
  makerRemainingLots: number;
}

/** The taker's remainder now rests on the book. */
export interface RestEvent {
  kind: "rest";
  orderId: number;
  owner: number;
  side: Side;
  priceTicks: number;
  remainingLots: number;
}

/**
 * An order (resting, or the taker's unfilled remainder which never rested) was removed
 * without trading `remainingLots`.
 */
export interface CancelEvent {
  kind: "cancel";
  orderId: number;
  owner: number;
  remainingLots: number;
  reason: CancelReason;
}

/** A resting order reached its goodTilBlock and left the book. */
export interface ExpireEvent {
  kind: "expire";
  orderId: number;
  owner: number;
  remainingLots: number;
}

export type BookEvent = FillEvent | RestEvent | CancelEvent | ExpireEvent;

/** What the risk engine says about one prospective fill. */
export const FillDecision = {
  /** Trade. The caller may apply the fill to its own state inside the hook. */
  Accept: 0,
  /** Cancel the maker (reason guard_maker) and keep matching. */
  RejectMaker: 1,
  /** Cancel the taker's remainder (reason guard_taker) and stop matching. */
  RejectTaker: 2,
} as const;
export type FillDecision = (typeof FillDecision)[keyof typeof FillDecision];

/**
 * Called before each prospective fill, after self-trade prevention, with the maker as it is
 * before the fill. The book passes its own read-only view of the maker: the hook must not
 * keep or mutate it, and must not call the book. Any value other than Accept or RejectMaker
 * is treated as RejectTaker (fail safe). A guard that throws leaves the book consistent but
 * partly matched with the events lost: treat it as a halt. The guard is not consulted by
 * the FOK pre-pass, so a guard rejection during a FOK execution cancels the remainder
 * after partial fills (reason guard_taker, or ioc_remainder after a rejected maker); the
 * state machine prevents that by checking the taker before placing.
 */
export type FillGuard = (
  maker: Readonly<RestingOrder>,
  taker: Readonly<NewOrder>,
  priceTicks: number,
  sizeLots: number,
) => FillDecision;

/** One resting order in a snapshot (its side and price come from its level). */
export type SnapshotOrder = [
  id: number,
  owner: number,
  clientId: number,
  sizeLots: number,
  remainingLots: number,
  goodTilBlock: number | null,
];

/** One price level in a snapshot: its price and its orders, oldest first. */
export type SnapshotLevel = [priceTicks: number, orders: SnapshotOrder[]];

/**
 * Canonical state of a book: every resting order in priority order, grouped by level, bids
 * best-first (price descending) then asks best-first (ascending); within a level oldest
 * first. Nothing else defines a book: no clock, no sequence counter, so two books with
 * equal snapshots behave identically. Tuples rather than objects keep the encoding small
 * and fast (canonical CBOR sorts every map's keys); field order is fixed by the types.
 */
export interface BookSnapshot {
  version: 1;
  bids: SnapshotLevel[];
  asks: SnapshotLevel[];
}

export interface Depth {
  bids: [priceTicks: number, sizeLots: number][];
  asks: [priceTicks: number, sizeLots: number][];
}

/** What the state machine needs from a market's book. Both implementations provide it. */
export interface OrderBook {
  /**
   * Matches `order` against the book and rests, cancels or rejects its remainder.
   * `height` is the current block height (for goodTilBlock checks). Throws PerpetuaError
   * with the book unchanged if the order is invalid, a post-only would cross, a market
   * order meets an empty side, or a FOK cannot fill wholly.
   */
  place(order: NewOrder, height: number, guard?: FillGuard): BookEvent[];
  /** Cancels a resting order (reason "user"); UNKNOWN_ORDER if it is not live. */
  cancel(orderId: number): CancelEvent;
  cancelByClientId(owner: number, clientId: number): CancelEvent;
  /** Cancels every order of `owner`, by id ascending. */
  cancelAll(owner: number): CancelEvent[];
  /**
   * Removes every order with goodTilBlock < height, by id ascending. Matching does not look
   * at makers' goodTilBlock: the state machine calls expire(height) before placing orders
   * at `height`, so an order trades through its goodTilBlock height and never after.
   */
  expire(height: number): ExpireEvent[];
  bestBid(): number | undefined;
  bestAsk(): number | undefined;
  /** Up to `levels` price levels per side, best first. */
  depth(levels: number): Depth;
  /** Total remaining lots resting at one price on one side (0 if none). */
  levelTotal(side: Side, priceTicks: number): number;
  /** Price levels of one side, best first, as [priceTicks, totalLots]. Do not mutate the
   * book while iterating. */
  levels(side: Side): Iterable<[priceTicks: number, totalLots: number]>;
  getOrder(id: number): RestingOrder | undefined;
  getOrderByClientId(owner: number, clientId: number): RestingOrder | undefined;
  /** Live orders of `owner`, by id ascending. */
  ordersOf(owner: number): RestingOrder[];
  /** Number of live orders. */
  size(): number;
  snapshot(): BookSnapshot;
  /** sha256(canonical CBOR of snapshot()). */
  stateHash(): Uint8Array;
  /**
   * Throws InvariantError if the book is crossed, a level's total differs from its orders,
   * or its structure or indexes disagree. Linear in the book's size; `deep` (for tests)
   * also cross-checks every index entry.
   */
  checkInvariants(deep?: boolean): void;
  /**
   * The same checks over what changed since the last check (levels whose orders changed),
   * trusting the rest as last checked: the per-block check. A full check is still due now
   * and then (the exchange runs one every FULL_CHECK_BLOCKS).
   */
  checkChanged(): void;
}
