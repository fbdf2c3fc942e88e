/**
 * Oracle staleness. A stale market allows no fill that opens or grows a position and no
 * liquidation (DESIGN.md section 6), as dYdX v4 stops trading a market whose oracle price
 * stops updating.
 */
import type { Market } from "../types/market.js";

/* stale ⇔ height − oracleHeight > maxOracleAgeBlocks */
export function isStale(market: Market, height: number): boolean {
  return height - market.state.oracleHeight > market.params.maxOracleAgeBlocks;
}
