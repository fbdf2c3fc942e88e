/** The orders `perpetua bench` sends: far-from-market IOC limits that keep the books bounded. */
import { fromUnits, parseDecimal, parseUnit } from "../../lib/fixed.js";
import { type Msg, placeOrder } from "../../rpc/client/tx.js";
import type { MarketInfo } from "../../rpc/client/types.js";
import { CliError } from "../args.js";

/**
 * K IOC limit orders, alternating buy and sell and cycling over the markets, priced ten times
 * away from the oracle (buys at a tenth, sells at ten times): the chain parses, risk-checks
 * and matches each one, finds nothing to cross and cancels the remainder, so the books do not
 * grow however long the bench runs. One lot each, so the margin needed is negligible.
 */
export function farOrders(markets: readonly MarketInfo[], k: number): Msg[] {
  const prices = markets.map((m) => {
    const tick = parseUnit(m.tickSize, "tickSize");
    const oracleTicks = parseDecimal(m.oraclePrice, tick.decimals) / tick.scaled;
    if (oracleTicks <= 0n) throw new CliError(`market ${m.id} has no oracle price yet`);
    const low = oracleTicks / 10n;
    return {
      buy: fromUnits(low > 0n ? low : 1n, tick),
      sell: fromUnits(oracleTicks * 10n, tick),
    };
  });
  return Array.from({ length: k }, (_, i) => {
    const mi = Math.floor(i / 2) % markets.length;
    const side = i % 2 === 0 ? "buy" : "sell";
    return placeOrder({
      market: markets[mi].id,
      side,
      price: prices[mi][side],
      size: markets[mi].stepSize,
      tif: "ioc",
      clientId: i,
    });
  });
}
