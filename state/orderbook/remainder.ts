/**
 * What happens to the part of a taker that did not fill (when matching stopped on its own,
 * not because self-trade prevention or the guard cancelled the taker):
 *
 * - an order with a reduce-only cap that filled its whole cap: cancelled, "reduce_only_cap";
 * - a market order: cancelled, "market_remainder" (market orders are IOC by nature);
 * - an ioc order (or a fok order, which only reaches here after a guard rejected a maker):
 *   cancelled, "ioc_remainder";
 * - any other order carrying a cap: cancelled, "reduce_only_cap" (reduce-only never rests,
 *   so a resting order can never grow a position after the position changed);
 * - otherwise (gtc, post_only): it rests, returned as null.
 *
 * `target` = min(sizeLots, maxFillLots): what the taker may fill at most.
 */
import type { CancelReason, NewOrder } from "./types.js";

export function remainderReason(
  order: Readonly<NewOrder>,
  filledLots: number,
  targetLots: number,
): CancelReason | null {
  const capped = order.maxFillLots !== undefined;
  if (capped && filledLots === targetLots && targetLots < order.sizeLots) return "reduce_only_cap";
  if (order.type === "market") return "market_remainder";
  if (order.tif === "ioc" || order.tif === "fok") return "ioc_remainder";
  if (capped) return "reduce_only_cap";
  return null;
}

/** min(sizeLots, maxFillLots): the most the taker may fill. */
export function targetLots(order: Readonly<NewOrder>): number {
  const cap = order.maxFillLots;
  return cap !== undefined && cap < order.sizeLots ? cap : order.sizeLots;
}
