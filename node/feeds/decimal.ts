/**
 * Decimal strings without floats: an exchange's price string is parsed exactly into
 * (integer, scale), combined with bigint arithmetic, and formatted back. A float never
 * touches a price on its way to a vote extension.
 */
import { FeedError } from "./types.js";

/** An exact decimal: value = int / 10^scale. */
export interface Dec {
  int: bigint;
  scale: number;
}

const DEC_RE = /^(\d+)(?:\.(\d+))?$/;
/** Longer inputs are not prices; the bound also keeps BigInt parsing cheap. */
const MAX_LEN = 64;

/** Parses an unsigned plain decimal ("67000.01000000", "0.5"); throws FEED_INVALID_DECIMAL. */
export function parseDec(s: unknown): Dec {
  if (typeof s !== "string" || s.length === 0 || s.length > MAX_LEN) {
    throw new FeedError("FEED_INVALID_DECIMAL", `not a decimal string: ${String(s).slice(0, 40)}`);
  }
  const m = DEC_RE.exec(s);
  if (!m) throw new FeedError("FEED_INVALID_DECIMAL", `not a plain decimal: ${s.slice(0, 40)}`);
  const frac = (m[2] ?? "").replace(/0+$/, "");
  return { int: BigInt(m[1] + frac), scale: frac.length };
}

export function formatDec(d: Dec): string {
  const neg = d.int < 0n;
  let digits = (neg ? -d.int : d.int).toString();
  if (d.scale === 0) return (neg ? "-" : "") + digits;
  digits = digits.padStart(d.scale + 1, "0");
  const whole = digits.slice(0, digits.length - d.scale);
  const frac = digits.slice(digits.length - d.scale).replace(/0+$/, "");
  return (neg ? "-" : "") + (frac.length > 0 ? `${whole}.${frac}` : whole);
}

/** Normalises a price string: exact value, no trailing zeros ("67000.0100" -> "67000.01"). */
export function normalizeDecimal(s: string): string {
  return formatDec(parseDec(s));
}

function rescale(d: Dec, scale: number): bigint {
  return d.int * 10n ** BigInt(scale - d.scale);
}

export function compareDec(a: Dec, b: Dec): number {
  const s = Math.max(a.scale, b.scale);
  const x = rescale(a, s);
  const y = rescale(b, s);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The median of decimal strings, exactly: the middle value, or for an even count the mean
 * of the two middle values (which needs at most one more decimal place). Undefined if empty.
 */
export function medianDecimal(values: readonly string[]): string | undefined {
  if (values.length === 0) return undefined;
  const ds = values.map(parseDec);
  const scale = Math.max(...ds.map((d) => d.scale));
  const ints = ds.map((d) => rescale(d, scale)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const mid = ints.length >> 1;
  if (ints.length % 2 === 1) return formatDec({ int: ints[mid], scale });
  // (a + b) / 2 = 5 (a + b) / 10: exact with one more decimal.
  return formatDec({ int: 5n * (ints[mid - 1] + ints[mid]), scale: scale + 1 });
}

export type TickRounding = "nearest" | "floor" | "ceil";

/**
 * Rounds a positive decimal to a multiple of `tickSize` (both decimal strings). "nearest"
 * rounds half up. The chain itself rounds feed prices to ticks in state/oracle; this is for
 * callers that want a tick-aligned display or a bot's order price.
 */
export function roundToTick(
  price: string,
  tickSize: string,
  mode: TickRounding = "nearest",
): string {
  const p = parseDec(price);
  const t = parseDec(tickSize);
  if (t.int === 0n) throw new FeedError("FEED_INVALID_DECIMAL", "tick size must be positive");
  const scale = Math.max(p.scale, t.scale);
  const pi = rescale(p, scale);
  const ti = rescale(t, scale);
  let q = pi / ti; // floor for non-negative values
  const r = pi - q * ti;
  if (r !== 0n) {
    if (mode === "ceil") q += 1n;
    else if (mode === "nearest" && 2n * r >= ti) q += 1n;
  }
  return formatDec({ int: q * ti, scale });
}
