/**
 * Edge checks shared by both books, so they reject exactly the same inputs with the same
 * codes (the equivalence test compares error codes). Everything the book does after these
 * checks may assume safe integers and known enum values.
 */
import { ErrorCode, fail } from "../../lib/errors.js";
import { MAX_CLIENT_ID, type NewOrder, SELF_TRADE_PREVENTIONS, TIMES_IN_FORCE } from "./types.js";

/** A price or size: an integer in [1, 2^53). */
export function isPositiveSafeInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v > 0;
}

/** An id, index, height or cap: an integer in [0, 2^53). */
export function isNonNegativeSafeInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

export function checkHeight(height: number): void {
  if (!isNonNegativeSafeInt(height)) fail(ErrorCode.INVALID_ORDER, `bad height ${height}`);
}

/**
 * Checks everything about `order` that does not depend on the book's contents, in a fixed
 * order: enums and identifiers (INVALID_ORDER), size (INVALID_SIZE), price (INVALID_PRICE),
 * reduce-only cap (INVALID_SIZE), expiry (INVALID_ORDER / ORDER_EXPIRED).
 */
export function validateNewOrder(order: NewOrder, height: number): void {
  checkHeight(height);
  if (typeof order !== "object" || order === null) fail(ErrorCode.INVALID_ORDER, "not an order");
  // Plain comparisons first (the hot path); the lists name the values for the message.
  const { side, type, tif, stp } = order;
  if (side !== "buy" && side !== "sell") fail(ErrorCode.INVALID_ORDER, `bad side ${side}`);
  if (type !== "limit" && type !== "market") fail(ErrorCode.INVALID_ORDER, `bad type ${type}`);
  if (tif !== "gtc" && tif !== "ioc" && tif !== "fok" && tif !== "post_only") {
    fail(ErrorCode.INVALID_ORDER, `bad tif ${tif}; expected one of ${TIMES_IN_FORCE.join(", ")}`);
  }
  if (
    stp !== undefined &&
    stp !== "cancel_maker" &&
    stp !== "cancel_taker" &&
    stp !== "cancel_both"
  ) {
    fail(
      ErrorCode.INVALID_ORDER,
      `bad stp ${stp}; expected one of ${SELF_TRADE_PREVENTIONS.join(", ")}`,
    );
  }
  if (order.type === "market" && (order.tif === "gtc" || order.tif === "post_only")) {
    fail(ErrorCode.INVALID_ORDER, `a market order cannot be ${order.tif}`);
  }
  if (!isNonNegativeSafeInt(order.id)) fail(ErrorCode.INVALID_ORDER, `bad order id ${order.id}`);
  if (!isNonNegativeSafeInt(order.owner)) fail(ErrorCode.INVALID_ORDER, `bad owner ${order.owner}`);
  if (!isNonNegativeSafeInt(order.clientId) || order.clientId > MAX_CLIENT_ID) {
    fail(ErrorCode.INVALID_ORDER, `bad clientId ${order.clientId}`);
  }
  if (!isPositiveSafeInt(order.sizeLots)) {
    fail(ErrorCode.INVALID_SIZE, `size must be a positive integer, got ${order.sizeLots}`);
  }
  if (order.type === "limit") {
    if (!isPositiveSafeInt(order.priceTicks)) {
      fail(ErrorCode.INVALID_PRICE, `price must be a positive integer, got ${order.priceTicks}`);
    }
  } else if (!isNonNegativeSafeInt(order.priceTicks)) {
    fail(
      ErrorCode.INVALID_PRICE,
      `market price limit must be 0 or positive, got ${order.priceTicks}`,
    );
  }
  if (order.maxFillLots !== undefined && !isNonNegativeSafeInt(order.maxFillLots)) {
    fail(ErrorCode.INVALID_SIZE, `bad maxFillLots ${order.maxFillLots}`);
  }
  if (order.goodTilBlock !== undefined) {
    if (!isNonNegativeSafeInt(order.goodTilBlock)) {
      fail(ErrorCode.INVALID_ORDER, `bad goodTilBlock ${order.goodTilBlock}`);
    }
    if (order.goodTilBlock < height) {
      fail(ErrorCode.ORDER_EXPIRED, `goodTilBlock ${order.goodTilBlock} < height ${height}`);
    }
  }
}

/**
 * The worst price a taker accepts, as a bound the matching loops compare against:
 * a buy matches asks with price <= bound, a sell matches bids with price >= bound.
 * A market order without protection has bound 2^53 - 1 (buy; every valid price is at most
 * that) or 0 (sell; every valid price is above it).
 */
export function takerBound(order: NewOrder): number {
  if (order.type === "market" && order.priceTicks === 0) {
    return order.side === "buy" ? Number.MAX_SAFE_INTEGER : 0;
  }
  return order.priceTicks;
}

export function checkDepthLevels(levels: number): void {
  if (!isNonNegativeSafeInt(levels)) fail(ErrorCode.INVALID_FIELD, `bad depth ${levels}`);
}

/** The smaller of two lot counts (Math.min is banned in state/ by the determinism lint). */
export function lesser(a: number, b: number): number {
  return a < b ? a : b;
}
