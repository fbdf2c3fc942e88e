/**
 * Counter-based deterministic randomness: every draw is sha256 of its coordinates
 * (seed, stream, market, step), so any step of any market can be recomputed in isolation,
 * identically on every machine — no hidden generator state to keep in sync between
 * validators or between a test and the code it checks.
 */
import { utf8 } from "../../lib/bytes.js";
import { sha256 } from "../../lib/hash.js";

/** A uniform integer in [-bound, +bound] for the given coordinates. */
export function uniformSymmetric(bound: number, ...coords: (string | number)[]): number {
  if (bound === 0) return 0;
  const h = sha256(utf8(coords.join("\u0000")));
  // 48 bits are a safe integer; the modulo bias is < 2^-28 for bounds below a million.
  let u = 0;
  for (let i = 0; i < 6; i++) u = u * 256 + h[i];
  return (u % (2 * bound + 1)) - bound;
}
