/**
 * The vote-extension payload: one validator's oracle prices for the next block.
 *
 * Encoding: canonical CBOR (lib/cbor) of an array of [marketId, priceTicks] pairs, strictly
 * ascending by market id, each price an unsigned integer > 0 (at most 2^64 − 1, CBOR's largest
 * plain integer). Market ids rather than indexes, so a validator that sees a different market
 * list cannot have its prices attributed to the wrong market. Bounded to MAX_EXTENSION_MARKETS
 * entries and MAX_EXTENSION_BYTES bytes (ABCI++ lets each validator attach bytes to its
 * precommit; the bound keeps a block's extended commit small, as Skip Connect bounds its
 * oracle vote extensions).
 */
import { decode, encode } from "../../lib/cbor.js";
import { ErrorCode, PerpetuaError } from "../../lib/errors.js";

export const MAX_EXTENSION_MARKETS = 64;
export const MAX_EXTENSION_BYTES = 4096;
const MAX_PRICE_TICKS = (1n << 64n) - 1n;

export interface OraclePrice {
  readonly market: string;
  readonly priceTicks: bigint;
}

function reject(code: ErrorCode, why: string): never {
  throw new PerpetuaError(code, `vote extension: ${why}`);
}

function checkPrices(prices: readonly OraclePrice[], known: ReadonlySet<string>): void {
  if (prices.length > MAX_EXTENSION_MARKETS) {
    reject(ErrorCode.TOO_LARGE, `${prices.length} markets > ${MAX_EXTENSION_MARKETS}`);
  }
  for (let i = 0; i < prices.length; i++) {
    const { market, priceTicks } = prices[i];
    if (!known.has(market)) reject(ErrorCode.UNKNOWN_MARKET, `unknown market ${market}`);
    if (priceTicks <= 0n || priceTicks > MAX_PRICE_TICKS) {
      reject(ErrorCode.INVALID_PRICE, `${market}: price ${priceTicks} out of range`);
    }
    if (i > 0 && !(prices[i - 1].market < market)) {
      reject(ErrorCode.NON_CANONICAL, `markets not strictly ascending at ${market}`);
    }
  }
}

/**
 * Encodes prices (any order; sorted here by market id). Throws PerpetuaError for an unknown
 * market, a duplicate, a price ≤ 0 or too many markets, so a node never signs an extension
 * that its peers would reject.
 */
export function encodeExtension(
  prices: readonly OraclePrice[],
  knownMarkets: readonly string[],
): Uint8Array {
  const sorted = [...prices].sort((a, b) =>
    a.market < b.market ? -1 : a.market > b.market ? 1 : 0,
  );
  checkPrices(sorted, new Set(knownMarkets));
  const bytes = encode(sorted.map((p) => [p.market, p.priceTicks]));
  if (bytes.length > MAX_EXTENSION_BYTES) {
    reject(ErrorCode.TOO_LARGE, `${bytes.length} bytes > ${MAX_EXTENSION_BYTES}`);
  }
  return bytes;
}

/**
 * Decodes and validates an extension. Rejects (PerpetuaError) empty or oversized input,
 * malformed or non-canonical CBOR, a wrong shape, unsorted or duplicate markets, unknown
 * markets and prices outside (0, 2^64). The result is sorted by market id.
 */
export function decodeExtension(bytes: Uint8Array, knownMarkets: readonly string[]): OraclePrice[] {
  if (bytes.length === 0) reject(ErrorCode.MALFORMED, "empty");
  if (bytes.length > MAX_EXTENSION_BYTES) {
    reject(ErrorCode.TOO_LARGE, `${bytes.length} bytes > ${MAX_EXTENSION_BYTES}`);
  }
  const value = decode(bytes);
  if (!Array.isArray(value)) reject(ErrorCode.MALFORMED, "expected an array of [market, price]");
  if (value.length > MAX_EXTENSION_MARKETS) {
    reject(ErrorCode.TOO_LARGE, `${value.length} markets > ${MAX_EXTENSION_MARKETS}`);
  }
  const prices: OraclePrice[] = [];
  for (let i = 0; i < value.length; i++) {
    const entry: unknown = value[i];
    if (!Array.isArray(entry) || entry.length !== 2) {
      reject(ErrorCode.MALFORMED, `entry ${i}: expected [market, price]`);
    }
    const [market, price] = entry as unknown[];
    if (typeof market !== "string") reject(ErrorCode.MALFORMED, `entry ${i}: market not a string`);
    if (typeof price !== "bigint" && !(typeof price === "number" && Number.isSafeInteger(price))) {
      reject(ErrorCode.MALFORMED, `entry ${i}: price not an integer`);
    }
    prices.push({ market, priceTicks: BigInt(price) });
  }
  checkPrices(prices, new Set(knownMarkets));
  return prices;
}

/** Decodes, returning the error instead of throwing: for aggregation, where a bad extension
 * is ignored and recorded. */
export function tryDecodeExtension(
  bytes: Uint8Array,
  knownMarkets: readonly string[],
): { prices: OraclePrice[] } | { error: PerpetuaError } {
  try {
    return { prices: decodeExtension(bytes, knownMarkets) };
  } catch (e) {
    if (e instanceof PerpetuaError) return { error: e };
    throw e;
  }
}
