/**
 * What one block's execution carries around: its height and time, the events it emits (in
 * emission order, which is deterministic), and the dirty set for persistence.
 */
import type { AppEvent, CompactEvent, EventAttribute } from "../../lib/abci.js";
import { type DecimalUnit, fromUnits } from "../../lib/fixed.js";
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
  // for-in walks own string keys in insertion order, as Object.entries does, without the
  // pair arrays (events are built for every order and fill).
  const attributes: { key: string; value: string }[] = [];
  for (const key in attrs) attributes.push({ key, value: String(attrs[key]) });
  return { type, attributes };
}

/**
 * Unit texts of small whole numbers of ticks or lots, memoized per unit: a pure function of
 * (n, unit), so the memo changes no result; bounded so it cannot grow without limit.
 */
const UNIT_TEXT_MEMO_MAX = 1 << 16;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const unitTextMemo = new WeakMap<DecimalUnit, Map<number, string>>();

function unitText(n: bigint | number, unit: DecimalUnit): string {
  if (typeof n !== "number") {
    if (n > MAX_SAFE || n < -MAX_SAFE) return fromUnits(n, unit);
    n = Number(n);
  }
  let memo = unitTextMemo.get(unit);
  if (memo === undefined) {
    memo = new Map();
    unitTextMemo.set(unit, memo);
  }
  let text = memo.get(n);
  if (text === undefined) {
    text = fromUnits(BigInt(n), unit);
    if (memo.size >= UNIT_TEXT_MEMO_MAX) memo.clear();
    memo.set(n, text);
  }
  return text;
}

export function priceText(m: MarketRec, ticks: bigint | number): string {
  return unitText(ticks, m.params.tickSize);
}

export function sizeText(m: MarketRec, lots: bigint | number): string {
  return unitText(lots, m.params.stepSize);
}

/** The attribute list of event(), built directly: same keys, same order, same texts. */
function attr(key: string, value: string): EventAttribute {
  return { key, value };
}

export function fillEvent(m: MarketRec, f: FillRecord, liquidation = false): AppEvent {
  return {
    type: "fill",
    attributes: [
      attr("market", f.market),
      attr("maker", f.maker),
      attr("taker", f.taker),
      attr("makerOrderId", String(f.makerOrderId)),
      attr("takerOrderId", String(f.takerOrderId)),
      attr("takerSide", f.takerSide),
      attr("price", priceText(m, f.priceTicks)),
      attr("size", sizeText(m, f.sizeLots)),
      attr("makerFee", String(f.makerFeeQuantums)),
      attr("takerFee", String(f.takerFeeQuantums)),
      attr("liquidation", liquidation ? "true" : "false"),
    ],
  };
}

const ORDER_KEYS: readonly string[] = [
  "market",
  "owner",
  "orderId",
  "clientId",
  "side",
  "price",
  "size",
  "remaining",
  "status",
  "reason",
];

/**
 * The `order` event as a CompactEvent (lib/abci.ts): the order's fields and units, copied
 * (the record itself may die young), and its texts written only when read.
 */
class OrderEvent implements CompactEvent {
  readonly type = "order";
  readonly #market: string;
  readonly #owner: string;
  readonly #id: number;
  readonly #clientId: number;
  readonly #side: string;
  readonly #priceTicks: number;
  readonly #sizeLots: number;
  readonly #remainingLots: number | bigint;
  readonly #status: string;
  readonly #reason: string;
  readonly #tick: DecimalUnit;
  readonly #step: DecimalUnit;

  constructor(
    m: MarketRec,
    o: OrderRec,
    status: string,
    remainingLots: number | bigint,
    reason: string,
  ) {
    this.#market = o.market;
    this.#owner = o.owner;
    this.#id = o.id;
    this.#clientId = o.clientId;
    this.#side = o.side;
    this.#priceTicks = o.priceTicks;
    this.#sizeLots = o.sizeLots;
    this.#remainingLots = remainingLots;
    this.#status = status;
    this.#reason = reason;
    this.#tick = m.params.tickSize;
    this.#step = m.params.stepSize;
  }

  get keys(): readonly string[] {
    return ORDER_KEYS;
  }

  value(i: number): string {
    switch (i) {
      case 0:
        return this.#market;
      case 1:
        return this.#owner;
      case 2:
        return String(this.#id);
      case 3:
        return String(this.#clientId);
      case 4:
        return this.#side;
      case 5:
        return unitText(this.#priceTicks, this.#tick);
      case 6:
        return unitText(this.#sizeLots, this.#step);
      case 7:
        return unitText(this.#remainingLots, this.#step);
      case 8:
        return this.#status;
      case 9:
        return this.#reason;
      default:
        throw new RangeError(`order event: no attribute ${i}`);
    }
  }

  get attributes(): EventAttribute[] {
    return ORDER_KEYS.map((key, i) => attr(key, this.value(i)));
  }

  toJSON(): AppEvent {
    return { type: this.type, attributes: this.attributes };
  }
}

export function orderEvent(
  m: MarketRec,
  o: OrderRec,
  status: string,
  remainingLots: number | bigint,
  reason = "",
): AppEvent {
  return new OrderEvent(m, o, status, remainingLots, reason);
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
