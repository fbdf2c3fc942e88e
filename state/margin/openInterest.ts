/**
 * Open interest after a fill. Open interest is Σ long lots of a market (= Σ short lots); the
 * IMF of a fill is checked at the open interest the fill produces, and the OI cap bounds it.
 *
 * Source: dYdX v4 x/perpetuals ModifyOpenInterest (open interest in base quantums, updated by
 * the change of long exposure of both sides of each fill).
 */
import { max } from "../../lib/fixed.js";

/*
 * A buyer (size b) buys f > 0 lots from a seller (size s):
 *   ΔOI = max(b + f, 0) − max(b, 0) + max(s − f, 0) − max(s, 0)     (lots, exact)
 * e.g. two flat accounts trading opens f; a long selling to a short who buys back closes f.
 */
export function openInterestDeltaLots(
  buyerSizeLots: bigint,
  sellerSizeLots: bigint,
  fillLots: bigint,
): bigint {
  if (fillLots <= 0n) throw new RangeError(`fillLots ${fillLots} must be > 0`);
  return (
    max(buyerSizeLots + fillLots, 0n) -
    max(buyerSizeLots, 0n) +
    max(sellerSizeLots - fillLots, 0n) -
    max(sellerSizeLots, 0n)
  );
}
