/**
 * Fixed-point money on bigint, and strict decimal strings at the edges.
 *
 * Every division in perpetua goes through `mulDiv` or `divRound` with an explicit rounding
 * direction, chosen at the call site to favour the system and justified there in a comment.
 * Decimal strings are parsed strictly: digits, at most one dot, an optional leading minus
 * only where allowed; no exponents, no plus sign, no spaces, no leading dot, no more
 * decimals than the unit allows.
 */
import { ErrorCode, PerpetuaError } from "./errors.js";

export const Rounding = {
  /** Toward negative infinity. */
  Floor: 0,
  /** Toward positive infinity. */
  Ceil: 1,
  /** Toward zero. */
  Trunc: 2,
  /** Away from zero. */
  Expand: 3,
} as const;
export type Rounding = (typeof Rounding)[keyof typeof Rounding];

/** q = a / d rounded as asked. d must not be zero. */
export function divRound(a: bigint, d: bigint, rounding: Rounding): bigint {
  if (d === 0n) throw new RangeError("division by zero");
  const q = a / d; // truncates toward zero
  const r = a % d;
  if (r === 0n) return q;
  const negative = a < 0n !== d < 0n;
  switch (rounding) {
    case Rounding.Trunc:
      return q;
    case Rounding.Floor:
      return negative ? q - 1n : q;
    case Rounding.Ceil:
      return negative ? q : q + 1n;
    case Rounding.Expand:
      return negative ? q - 1n : q + 1n;
    default:
      throw new RangeError(`unknown rounding ${rounding}`);
  }
}

/** a × b / d with one rounding at the end (the product is exact in bigint). */
export function mulDiv(a: bigint, b: bigint, d: bigint, rounding: Rounding): bigint {
  return divRound(a * b, d, rounding);
}

export function abs(a: bigint): bigint {
  return a < 0n ? -a : a;
}

export function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

export function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

export function sign(a: bigint): -1n | 0n | 1n {
  return a < 0n ? -1n : a > 0n ? 1n : 0n;
}

/** 10^n for small n, cached. */
const POW10: bigint[] = Array.from({ length: 40 }, (_, i) => 10n ** BigInt(i));
export function pow10(n: number): bigint {
  return POW10[n] ?? 10n ** BigInt(n);
}

const DECIMAL_RE = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;
const MAX_DECIMAL_LENGTH = 64;

export interface ParseOptions {
  /** Allow a leading minus sign. Default false. */
  signed?: boolean;
  /** Allow zero. Default true. */
  allowZero?: boolean;
  /** Field name for error messages. */
  field?: string;
}

/**
 * True when `s` is a decimal string that parseDecimal(s, decimals, { allowZero: false })
 * accepts: digits with no leading zero, an optional dot followed by 1..decimals digits, no
 * sign, and not zero. One pass over the characters, no regular expression and no bigint:
 * the check a decoded order's price and size get, while the value itself is computed later
 * against the market's units. A false answer says nothing more; parseDecimal gives the reason.
 */
export function isPositiveDecimal(s: string, decimals: number): boolean {
  const n = s.length;
  if (n === 0 || n > MAX_DECIMAL_LENGTH) return false;
  let i = 0;
  let nonZero = false;
  const first = s.charCodeAt(0);
  if (first === 0x30) {
    i = 1; // a lone "0" before the dot, never a leading zero of a longer whole part
  } else {
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      if (c !== 0x30) nonZero = true;
    }
    if (i === 0) return false; // no whole part (a sign, a dot or anything else)
  }
  if (i === n) return nonZero;
  if (s.charCodeAt(i) !== 0x2e) return false;
  const fracStart = ++i;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
    if (c !== 0x30) nonZero = true;
  }
  const frac = n - fracStart;
  return frac >= 1 && frac <= decimals && nonZero;
}

/**
 * Parses a decimal string into an integer count of 10^-decimals units, exactly.
 * "1.5" with decimals 6 -> 1500000n. Rejects more decimals than `decimals` (no silent
 * rounding), exponents, signs unless allowed, leading zeros, empty parts.
 */
export function parseDecimal(s: unknown, decimals: number, opts: ParseOptions = {}): bigint {
  const field = opts.field ?? "value";
  if (typeof s !== "string") {
    throw new PerpetuaError(ErrorCode.INVALID_DECIMAL, `${field}: expected a decimal string`);
  }
  if (s.length === 0 || s.length > MAX_DECIMAL_LENGTH) {
    throw new PerpetuaError(ErrorCode.INVALID_DECIMAL, `${field}: empty or too long`);
  }
  const m = DECIMAL_RE.exec(s);
  if (!m) {
    throw new PerpetuaError(
      ErrorCode.INVALID_DECIMAL,
      `${field}: "${s}" is not a plain decimal (digits, one optional dot, no exponent)`,
    );
  }
  const [, minus, whole, frac = ""] = m;
  if (minus && !opts.signed) {
    throw new PerpetuaError(ErrorCode.INVALID_DECIMAL, `${field}: must not be negative`);
  }
  if (frac.length > decimals) {
    throw new PerpetuaError(
      ErrorCode.INVALID_DECIMAL,
      `${field}: "${s}" has more than ${decimals} decimal places`,
    );
  }
  let v =
    BigInt(whole) * pow10(decimals) + (frac ? BigInt(frac) * pow10(decimals - frac.length) : 0n);
  if (minus) v = -v;
  if (v === 0n && opts.allowZero === false) {
    throw new PerpetuaError(ErrorCode.INVALID_DECIMAL, `${field}: must be greater than zero`);
  }
  if (minus && v === 0n) {
    throw new PerpetuaError(ErrorCode.INVALID_DECIMAL, `${field}: negative zero`);
  }
  return v;
}

/** Formats 10^-decimals units as a decimal string without trailing zeros: 1500000n, 6 -> "1.5". */
export function formatDecimal(v: bigint, decimals: number): string {
  const negative = v < 0n;
  const a = negative ? -v : v;
  const p = pow10(decimals);
  const whole = a / p;
  let frac = (a % p).toString().padStart(decimals, "0");
  while (frac.endsWith("0")) frac = frac.slice(0, -1);
  const body = frac ? `${whole}.${frac}` : `${whole}`;
  return negative ? `-${body}` : body;
}

/** Number of decimal places of a plain decimal string ("0.01" -> 2, "5" -> 0). */
export function decimalPlaces(s: string): number {
  const dot = s.indexOf(".");
  return dot < 0 ? 0 : s.length - dot - 1;
}

/**
 * A unit given as a decimal string (a market's tickSize or stepSize), kept as the exact
 * rational `scaled / 10^decimals`.
 */
export interface DecimalUnit {
  readonly text: string;
  readonly decimals: number;
  readonly scaled: bigint;
}

export function parseUnit(s: string, field = "unit"): DecimalUnit {
  const scaled = parseDecimal(s, decimalPlaces(typeof s === "string" ? s : ""), {
    field,
    allowZero: false,
  });
  return { text: s, decimals: decimalPlaces(s), scaled };
}

/**
 * Converts a decimal string to a whole number of `unit`s, exactly: "50000.5" in ticks of
 * "0.5" -> 100001n. Rejects values that are not an exact multiple of the unit.
 */
export function toUnits(s: unknown, unit: DecimalUnit, opts: ParseOptions = {}): bigint {
  const field = opts.field ?? "value";
  // Parse with the unit's decimals: a value with more decimals cannot be a multiple.
  const v = parseDecimal(s, unit.decimals, opts);
  if (v % unit.scaled !== 0n) {
    throw new PerpetuaError(
      ErrorCode.INVALID_DECIMAL,
      `${field}: "${s as string}" is not a multiple of ${unit.text}`,
    );
  }
  return v / unit.scaled;
}

/** Formats a whole number of `unit`s as a decimal string: 100001n ticks of "0.5" -> "50000.5". */
export function fromUnits(n: bigint, unit: DecimalUnit): string {
  return formatDecimal(n * unit.scaled, unit.decimals);
}

/** USDC has 6 decimals: amounts are integer quantums of 10^-6 USDC. */
export const USDC_DECIMALS = 6;

export function parseUsdc(s: unknown, opts: ParseOptions = {}): bigint {
  return parseDecimal(s, USDC_DECIMALS, opts);
}

export function formatUsdc(quantums: bigint): string {
  return formatDecimal(quantums, USDC_DECIMALS);
}

/** Parts per million: the unit of fractions (margin fractions, fees, funding rates). */
export const PPM = 1_000_000n;
