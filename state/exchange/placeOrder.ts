/**
 * place_order (DESIGN.md sections 5 and 6).
 *
 * Stateful checks before the book: the market exists; price and size are whole ticks and
 * lots; goodTilBlock is not past; a reduce-only order reduces the position (its fill is
 * capped at the position size, and like dYdX v4's reduce-only orders it never rests); a
 * non-reduce-only order is collateralized as if filled in full at its limit price (dYdX's
 * order-level collateralization check), and may not grow a position while the oracle is
 * stale. Trigger orders (stop, take-profit) wait off-book until the oracle crosses their
 * trigger price (state/exchange/triggers.ts). Fills are then checked one by one by the
 * risk guard (execute.ts).
 */
import { ErrorCode, fail, PerpetuaError } from "../../lib/errors.js";
import { toUnits } from "../../lib/fixed.js";
import { isStale } from "../oracle/index.js";
import type { PlaceOrderMsg } from "../types/tx.js";
import { type BlockCtx, orderEvent, sizeText, touchGlobals } from "./context.js";
import { executeTaker } from "./execute.js";
import { feeQuantums } from "./fills.js";
import { sizeOf } from "./positions.js";
import { type MsgResult, ok } from "./results.js";
import { checkTrade, reducesOnly } from "./risk.js";
import type { AccountRec, Exchange, MarketRec, OrderRec } from "./types.js";

/** Most open orders (resting and untriggered) one account may hold across all markets. */
export const MAX_OPEN_ORDERS_PER_ACCOUNT = 1_000;
const MAX_BOOK_UNITS = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Successful parses of price and size strings, per unit: a pure function of (text, unit),
 * so the memo changes no result (failures are not memoized and throw as before); bounded.
 */
const UNITS_MEMO_MAX = 1 << 16;
const unitsMemo = new WeakMap<MarketRec["params"]["tickSize"], Map<string, bigint>>();

function units(
  v: string,
  unit: MarketRec["params"]["tickSize"],
  code: typeof ErrorCode.INVALID_PRICE | typeof ErrorCode.INVALID_SIZE,
  field: string,
): bigint {
  let memo = unitsMemo.get(unit);
  if (memo === undefined) {
    memo = new Map();
    unitsMemo.set(unit, memo);
  }
  const hit = typeof v === "string" ? memo.get(v) : undefined;
  if (hit !== undefined) return hit;
  let n: bigint;
  try {
    n = toUnits(v, unit, { field, allowZero: false });
  } catch (e) {
    if (e instanceof PerpetuaError) throw new PerpetuaError(code, e.message);
    throw e;
  }
  if (n > MAX_BOOK_UNITS) fail(code, `${field}: too large`);
  if (memo.size >= UNITS_MEMO_MAX) memo.clear();
  memo.set(v, n);
  return n;
}

/** Parses and checks a place_order against the market, without changing anything. */
export function prepareOrder(
  ex: Exchange,
  acct: AccountRec,
  msg: PlaceOrderMsg,
  height: number,
): { m: MarketRec; rec: OrderRec; maxFillLots?: number } {
  const m = ex.markets.get(msg.market);
  if (!m) fail(ErrorCode.UNKNOWN_MARKET, `unknown market ${msg.market}`);
  const priceTicks =
    msg.price === undefined
      ? 0n
      : units(msg.price, m.params.tickSize, ErrorCode.INVALID_PRICE, "price");
  const sizeLots = units(msg.size, m.params.stepSize, ErrorCode.INVALID_SIZE, "size");
  const trigger = msg.trigger
    ? {
        kind: msg.trigger.kind,
        priceTicks: units(
          msg.trigger.price,
          m.params.tickSize,
          ErrorCode.INVALID_PRICE,
          "trigger.price",
        ),
      }
    : undefined;
  if (msg.goodTilBlock !== undefined && msg.goodTilBlock < height) {
    fail(ErrorCode.ORDER_EXPIRED, `goodTilBlock ${msg.goodTilBlock} is before height ${height}`);
  }
  if ((ex.openOrders.get(acct.address) ?? 0) >= MAX_OPEN_ORDERS_PER_ACCOUNT) {
    fail(
      ErrorCode.TOO_MANY_ORDERS,
      `at most ${MAX_OPEN_ORDERS_PER_ACCOUNT} open orders per account`,
    );
  }
  const rec: OrderRec = {
    id: ex.nextOrderId,
    market: m.params.id,
    owner: acct.address,
    ownerId: acct.ownerId,
    side: msg.side,
    type: msg.type,
    priceTicks: Number(priceTicks),
    sizeLots: Number(sizeLots),
    tif: msg.tif,
    reduceOnly: msg.reduceOnly,
    clientId: msg.clientId,
    goodTilBlock: msg.goodTilBlock,
    stp: msg.stp ?? "cancel_maker",
    trigger,
    placedHeight: height,
  };
  if (findByClientId(m, acct, msg.clientId)) {
    fail(
      ErrorCode.DUPLICATE_CLIENT_ID,
      `clientId ${msg.clientId} is already live in ${m.params.id}`,
    );
  }
  return { m, rec };
}

export function findByClientId(
  m: MarketRec,
  acct: AccountRec,
  clientId: number,
): OrderRec | undefined {
  const live = m.book.getOrderByClientId(acct.ownerId, clientId);
  if (live) return m.resting.get(live.id);
  for (const t of m.triggers.values()) {
    if (t.ownerId === acct.ownerId && t.clientId === clientId) return t;
  }
  return undefined;
}

/**
 * Checks that the order could be filled in full at its worst price (its limit, or the
 * oracle price for a market order without protection) and leave IMR met; reduce-only
 * orders get their cap instead. Returns the reduce-only cap if any.
 */
export function collateralizeOrder(
  ex: Exchange,
  acct: AccountRec,
  m: MarketRec,
  rec: OrderRec,
  height: number,
): number | undefined {
  const sign = rec.side === "buy" ? 1n : -1n;
  const size = sizeOf(acct, m.params.id);
  if (rec.reduceOnly) {
    if (!reducesOnly(size, sign)) {
      fail(
        ErrorCode.REDUCE_ONLY,
        `reduce-only ${rec.side} has no ${rec.side === "buy" ? "short" : "long"} position to reduce in ${m.params.id}`,
      );
    }
    const abs = size < 0n ? -size : size;
    return Number(abs < BigInt(rec.sizeLots) ? abs : BigInt(rec.sizeLots));
  }
  const lots = BigInt(rec.sizeLots);
  const price = rec.priceTicks > 0 ? BigInt(rec.priceTicks) : m.state.oraclePriceTicks;
  const notional = lots * price * m.params.quantumsPerTickLot;
  const fee = feeQuantums(
    notional,
    m.params.takerFeePpm > m.params.makerFeePpm ? m.params.takerFeePpm : m.params.makerFeePpm,
  );
  const verdict = checkTrade(ex, acct, m, sign * lots, -sign * notional - fee, height);
  if (verdict === "stale_oracle") {
    fail(
      ErrorCode.STALE_ORACLE,
      `the ${m.params.id} oracle price is stale: no order may open or grow a position`,
    );
  }
  if (verdict !== "ok") {
    fail(
      ErrorCode.INSUFFICIENT_MARGIN,
      `insufficient margin for ${sizeText(m, rec.sizeLots)} ${m.params.id} at that price`,
    );
  }
  return undefined;
}

export function placeOrder(
  ex: Exchange,
  ctx: BlockCtx,
  acct: AccountRec,
  msg: PlaceOrderMsg,
): MsgResult {
  const { m, rec } = prepareOrder(ex, acct, msg, ctx.height);
  if (rec.trigger) {
    // Checked now as a resting order would be; checked again when it triggers.
    collateralizeOrder(ex, acct, m, rec, ctx.height);
    ex.nextOrderId++;
    m.triggers.set(rec.id, rec);
    ctx.dirty.orders.set(rec.id, rec);
    ex.openOrders.set(acct.address, (ex.openOrders.get(acct.address) ?? 0) + 1);
    touchGlobals(ctx);
    ctx.dirty.markets.add(m.params.id);
    ctx.events.push(orderEvent(m, rec, "untriggered", rec.sizeLots));
    return ok("untriggered", { orderId: rec.id, status: "untriggered", filled: "0" });
  }
  if (
    !rec.reduceOnly &&
    isStale(m, ctx.height) &&
    !reducesOnly(sizeOf(acct, m.params.id), rec.side === "buy" ? 1n : -1n)
  ) {
    fail(
      ErrorCode.STALE_ORACLE,
      `the ${m.params.id} oracle price is stale: no order may open or grow a position`,
    );
  }
  const maxFillLots = collateralizeOrder(ex, acct, m, rec, ctx.height);
  // The book validates the rest (post-only crossing, FOK, empty side) before changing
  // anything and throws with the book unchanged; the order id is consumed only on success.
  const out = executeTaker(ex, ctx, m, rec, { maxFillLots });
  ex.nextOrderId++;
  touchGlobals(ctx);
  const filled = sizeText(m, out.filledLots);
  const status = out.rested
    ? out.filledLots > 0n
      ? "partially_filled"
      : "resting"
    : out.filledLots === BigInt(rec.sizeLots)
      ? "filled"
      : out.filledLots > 0n
        ? "partially_filled"
        : "cancelled";
  // The object ok() builds (same keys, same order), without the spread: one per order.
  return {
    code: ErrorCode.OK,
    log: status + (out.cancelReason ? ` (${out.cancelReason})` : ""),
    orderId: rec.id,
    status,
    filled,
  };
}
