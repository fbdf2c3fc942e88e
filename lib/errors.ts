/**
 * Typed errors with stable numeric codes.
 *
 * A rejected transaction or request carries a `code` that never changes meaning once
 * released (clients switch on it) and a readable message. Codes are grouped by layer:
 * 1xx encoding and signatures, 2xx nonces and accounts, 3xx orders and markets,
 * 4xx risk, 5xx node limits. `InvariantError` is not a user error: it means the state
 * machine found a broken financial invariant and the node must halt.
 */

export const ErrorCode = {
  OK: 0,
  // 1xx: bytes, schema, signatures
  MALFORMED: 100,
  NON_CANONICAL: 101,
  BAD_SIGNATURE: 102,
  WRONG_CHAIN: 103,
  INVALID_FIELD: 104,
  TOO_MANY_MSGS: 105,
  TX_TOO_LARGE: 106,
  INVALID_DECIMAL: 107,
  UNKNOWN_MSG: 108,
  // 2xx: accounts and nonces
  BAD_NONCE: 200,
  UNKNOWN_ACCOUNT: 201,
  INSUFFICIENT_FUNDS: 202,
  WITHDRAWALS_GATED: 203,
  FAUCET_DISABLED: 204,
  SELF_TRANSFER: 205,
  // 3xx: orders and markets
  UNKNOWN_MARKET: 300,
  INVALID_PRICE: 301,
  INVALID_SIZE: 302,
  UNKNOWN_ORDER: 303,
  DUPLICATE_CLIENT_ID: 304,
  POST_ONLY_WOULD_CROSS: 305,
  NO_LIQUIDITY: 306,
  FOK_NOT_FILLABLE: 307,
  REDUCE_ONLY: 308,
  INVALID_ORDER: 309,
  DUPLICATE_ORDER_ID: 310,
  ORDER_EXPIRED: 311,
  TOO_MANY_ORDERS: 312,
  // 4xx: risk
  INSUFFICIENT_MARGIN: 400,
  STALE_ORACLE: 401,
  OPEN_INTEREST_CAP: 402,
  // 5xx: node limits
  MEMPOOL_FULL: 500,
  RATE_LIMITED: 501,
  TOO_LARGE: 502,
  ALREADY_IN_MEMPOOL: 503,
  INTERNAL: 599,
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(ErrorCode).map(([name, code]) => [code, name.toLowerCase()]),
);

/** The stable snake_case name of a code, e.g. 102 -> "bad_signature". */
export function errorName(code: number): string {
  return NAMES[code] ?? "unknown";
}

/** An error a user caused: bad input, rejected transaction, unmet requirement. */
export class PerpetuaError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "PerpetuaError";
    this.code = code;
  }
}

/** A broken financial or structural invariant: the node halts rather than commit. */
export class InvariantError extends Error {
  readonly invariant: string;
  constructor(invariant: string, message: string) {
    super(`invariant ${invariant} broken: ${message}`);
    this.name = "InvariantError";
    this.invariant = invariant;
  }
}

/** Throws a PerpetuaError; useful in expression position. */
export function fail(code: ErrorCode, message: string): never {
  throw new PerpetuaError(code, message);
}

export function isPerpetuaError(e: unknown): e is PerpetuaError {
  return e instanceof PerpetuaError;
}
