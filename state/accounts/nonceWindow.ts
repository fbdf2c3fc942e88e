/**
 * The nonce window (DESIGN.md section 5, after Hyperliquid's rule): an account remembers
 * its NONCE_WINDOW highest used nonces; a new nonce must be unused and greater than the
 * smallest remembered one (any unused nonce is accepted while fewer than NONCE_WINDOW are
 * remembered). Traders use millisecond timestamps and may send many transactions at once,
 * in any order, without a sequence number to coordinate.
 *
 * The window is a sorted ascending array of at most NONCE_WINDOW safe integers.
 */
import { ErrorCode, PerpetuaError } from "../../lib/errors.js";

export const NONCE_WINDOW = 100;

/** Why `nonce` cannot be used now, or undefined if it can. */
export function nonceProblem(window: readonly number[], nonce: number): string | undefined {
  if (window.length >= NONCE_WINDOW && nonce <= window[0]) {
    return `nonce ${nonce} is not above the smallest of the last ${NONCE_WINDOW} used (${window[0]})`;
  }
  if (indexOf(window, nonce) >= 0) return `nonce ${nonce} was already used`;
  return undefined;
}

export function checkNonce(window: readonly number[], nonce: number): void {
  const why = nonceProblem(window, nonce);
  if (why) throw new PerpetuaError(ErrorCode.BAD_NONCE, why);
}

/** Returns the window after using `nonce` (which must pass checkNonce). */
export function useNonce(window: readonly number[], nonce: number): number[] {
  const out = window.slice();
  // insertion point keeps the array sorted
  let lo = 0;
  let hi = out.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (out[mid] < nonce) lo = mid + 1;
    else hi = mid;
  }
  out.splice(lo, 0, nonce);
  if (out.length > NONCE_WINDOW) out.shift();
  return out;
}

function indexOf(window: readonly number[], nonce: number): number {
  let lo = 0;
  let hi = window.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = window[mid];
    if (v === nonce) return mid;
    if (v < nonce) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
