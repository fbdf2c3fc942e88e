/**
 * A perpetual market: its parameters (fixed at genesis) and its per-block state.
 *
 * Units. A price is `priceTicks × tickSize` USDC per base unit; a size is
 * `sizeLots × stepSize` base units; collateral is USDC quantums (10^-6 USDC). The notional of
 * one lot at one tick is `quantumsPerTickLot = tickSize × stepSize × 10^6` quantums, required
 * to be a whole number ≥ 1 so every notional `|sizeLots| × priceTicks × quantumsPerTickLot` is
 * exact. Fractions (margins, fees, funding rates, clamps) are ppm: 10^6 = 100 %.
 *
 * Decimal strings exist only at the edge: `parseMarketParams` turns a genesis/JSON market into
 * `MarketParams`, naming the failing field path in every error.
 */
import { ErrorCode, InvariantError, PerpetuaError } from "../../lib/errors.js";
import {
  type DecimalUnit,
  PPM,
  parseUnit,
  parseUsdc,
  pow10,
  toUnits,
  USDC_DECIMALS,
} from "../../lib/fixed.js";

export interface MarketParams {
  /** Market id, e.g. "BTC-USD". */
  readonly id: string;
  /** Price step in USDC per base unit. */
  readonly tickSize: DecimalUnit;
  /** Size step in base units. */
  readonly stepSize: DecimalUnit;
  /** tickSize × stepSize × 10^6: quantums of notional per (tick × lot), an integer ≥ 1. */
  readonly quantumsPerTickLot: bigint;
  /** Base initial margin fraction (ppm), before open-interest scaling. */
  readonly initialMarginPpm: bigint;
  /** Maintenance margin fraction (ppm), 0 < MMF ≤ IMF. */
  readonly maintenanceMarginPpm: bigint;
  /**
   * Open-interest notional (quantums) at which the IMF starts rising linearly from
   * `initialMarginPpm`; it reaches 100 % at `oiUpperCapQuantums`. Upper cap 0 disables the
   * scaling (dYdX v4 liquidity tiers use the same convention).
   */
  readonly oiLowerCapQuantums: bigint;
  readonly oiUpperCapQuantums: bigint;
  /**
   * Hard cap on open interest (Σ long lots). Kept in lots, not notional, so that an oracle move
   * alone can never put the market over its cap and break the per-block invariant.
   */
  readonly openInterestCapLots: bigint;
  /** Largest liquidation fee (ppm of the liquidated notional) paid to the insurance fund. */
  readonly maxLiquidationFeePpm: bigint;
  /** Per block and market: notional that liquidations may close (quantums). */
  readonly maxLiquidationNotionalPerBlock: bigint;
  /** Per block and market: insurance fund payout for liquidation shortfalls (quantums). */
  readonly maxInsurancePayoutPerBlock: bigint;
  /** Notional walked on each side of the book for the impact bid/ask (quantums, > 0). */
  readonly impactNotionalQuantums: bigint;
  /** Block time between funding payments. */
  readonly fundingIntervalSeconds: number;
  /** Funding rate clamp factor (ppm): |rate| ≤ clamp × (IMF − MMF). */
  readonly fundingClampPpm: bigint;
  /** Rate added to the mean premium every interval (ppm per interval, signed). */
  readonly fundingBaselinePpm: bigint;
  /** Maker fee (ppm of fill notional); negative = rebate, never larger than the taker fee. */
  readonly makerFeePpm: bigint;
  readonly takerFeePpm: bigint;
  /** An oracle price is written only when it moves at least this much (ppm of the old price). */
  readonly minPriceChangePpm: bigint;
  /** The oracle price is stale when older than this many blocks. */
  readonly maxOracleAgeBlocks: number;
}

export interface MarketState {
  /** Last written oracle price (ticks, > 0). */
  oraclePriceTicks: bigint;
  /** Height at which ≥ 2/3 of power last reported a price for this market (freshness). */
  oracleHeight: number;
  /** Cumulative funding index, quantums per lot × FUNDING_INDEX_SCALE (state/funding). */
  cumulativeFundingIndex: bigint;
  /** Σ premium samples (ppm) of the current funding interval. */
  premiumSampleSumPpm: bigint;
  /** Number of samples in `premiumSampleSumPpm`. */
  premiumSampleCount: number;
  /** Block time (Unix ms) of the last funding interval boundary. */
  lastFundingTimeMs: number;
  /** Σ long lots (= Σ short lots). */
  openInterestLots: bigint;
  /** Rate applied at the last boundary (ppm per interval), for queries. */
  lastFundingRatePpm: bigint;
}

/** A market as the risk formulas read it. */
export interface Market {
  readonly params: MarketParams;
  readonly state: MarketState;
}

/** Fresh state of a market at genesis. */
export function initialMarketState(
  oraclePriceTicks: bigint,
  height: number,
  genesisTimeMs: number,
): MarketState {
  return {
    oraclePriceTicks,
    oracleHeight: height,
    cumulativeFundingIndex: 0n,
    premiumSampleSumPpm: 0n,
    premiumSampleCount: 0,
    lastFundingTimeMs: genesisTimeMs,
    openInterestLots: 0n,
    lastFundingRatePpm: 0n,
  };
}

function invalid(path: string, why: string): never {
  throw new PerpetuaError(ErrorCode.INVALID_FIELD, `${path}: ${why}`);
}

/**
 * quantumsPerTickLot = tickSize × stepSize × 10^USDC_DECIMALS, exactly.
 * With tickSize = t / 10^a and stepSize = s / 10^b that is t × s × 10^(6 − a − b), which must
 * be an integer ≥ 1 (otherwise notionals would need rounding). Throws INVALID_FIELD otherwise.
 */
export function quantumsPerTickLot(
  tickSize: DecimalUnit,
  stepSize: DecimalUnit,
  path = "market",
): bigint {
  const num = tickSize.scaled * stepSize.scaled * pow10(USDC_DECIMALS);
  const den = pow10(tickSize.decimals + stepSize.decimals);
  if (num % den !== 0n) {
    invalid(
      path,
      `tickSize × stepSize (${tickSize.text} × ${stepSize.text}) must be a whole number of USDC quantums (10^-6)`,
    );
  }
  return num / den;
}

const MARKET_ID_RE = /^[A-Za-z0-9]{1,24}-[A-Za-z0-9]{1,24}$/;

/** JSON fields of a market, in the order they are checked. */
const FIELDS = [
  "id",
  "tickSize",
  "stepSize",
  "initialMarginPpm",
  "maintenanceMarginPpm",
  "oiLowerCap",
  "oiUpperCap",
  "openInterestCap",
  "maxLiquidationFeePpm",
  "maxLiquidationNotionalPerBlock",
  "maxInsurancePayoutPerBlock",
  "impactNotional",
  "fundingIntervalSeconds",
  "fundingClampPpm",
  "fundingBaselinePpm",
  "makerFeePpm",
  "takerFeePpm",
  "minPriceChangePpm",
  "maxOracleAgeBlocks",
] as const;

/** The JSON (genesis) form of a market. Amounts are decimal strings, ppm are integers. */
export interface MarketParamsJson {
  id: string;
  /** Decimal string, USDC per base unit. */
  tickSize: string;
  /** Decimal string, base units. */
  stepSize: string;
  initialMarginPpm: number;
  maintenanceMarginPpm: number;
  /** USDC decimal strings. */
  oiLowerCap: string;
  oiUpperCap: string;
  /** Base-unit decimal string, a multiple of stepSize. */
  openInterestCap: string;
  maxLiquidationFeePpm: number;
  /** USDC decimal strings. */
  maxLiquidationNotionalPerBlock: string;
  maxInsurancePayoutPerBlock: string;
  impactNotional: string;
  fundingIntervalSeconds: number;
  fundingClampPpm: number;
  fundingBaselinePpm: number;
  makerFeePpm: number;
  takerFeePpm: number;
  minPriceChangePpm: number;
  maxOracleAgeBlocks: number;
}

/** An integer ppm field: a JSON safe integer within [lo, hi]. */
function ppmField(v: unknown, path: string, lo: bigint, hi: bigint): bigint {
  if (typeof v !== "number" || !Number.isSafeInteger(v)) invalid(path, "expected an integer (ppm)");
  const n = BigInt(v);
  if (n < lo || n > hi) invalid(path, `must be in [${lo}, ${hi}] ppm, got ${n}`);
  return n;
}

function intField(v: unknown, path: string, lo: number): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v)) invalid(path, "expected an integer");
  if (v < lo) invalid(path, `must be ≥ ${lo}, got ${v}`);
  return v;
}

/** Re-throws lib/fixed's decimal errors as INVALID_FIELD with the field path. */
function atPath<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof PerpetuaError) {
      const msg = e.message.startsWith(`${path}: `) ? e.message.slice(path.length + 2) : e.message;
      invalid(path, msg);
    }
    throw e;
  }
}

function usdcField(v: unknown, path: string, allowZero: boolean): bigint {
  return atPath(path, () => parseUsdc(v, { field: path, allowZero }));
}

/**
 * Validates one genesis/JSON market and converts it to `MarketParams`. `path` names the object
 * in errors, e.g. `markets[1]` gives `markets[1].tickSize: "0.0" must be greater than zero`.
 * Throws PerpetuaError INVALID_FIELD on the first problem, checking fields in a fixed order.
 * Unknown fields are rejected, so a typo never silently falls back to a default.
 */
export function parseMarketParams(json: unknown, path = "market"): MarketParams {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    invalid(path, "expected an object");
  }
  const o = json as Record<string, unknown>;
  for (const key of Object.keys(o).sort()) {
    if (!(FIELDS as readonly string[]).includes(key)) invalid(`${path}.${key}`, "unknown field");
  }
  for (const key of FIELDS) {
    if (!Object.hasOwn(o, key)) invalid(`${path}.${key}`, "missing");
  }
  const p = (k: (typeof FIELDS)[number]) => `${path}.${k}`;

  const id = o.id;
  if (typeof id !== "string" || !MARKET_ID_RE.test(id)) {
    invalid(p("id"), `expected an id like "BTC-USD" (letters and digits, one dash)`);
  }
  const tickSize = atPath(p("tickSize"), () => parseUnit(o.tickSize as string, p("tickSize")));
  const stepSize = atPath(p("stepSize"), () => parseUnit(o.stepSize as string, p("stepSize")));
  const qptl = quantumsPerTickLot(tickSize, stepSize, path);

  const initialMarginPpm = ppmField(o.initialMarginPpm, p("initialMarginPpm"), 1n, PPM);
  const maintenanceMarginPpm = ppmField(
    o.maintenanceMarginPpm,
    p("maintenanceMarginPpm"),
    1n,
    initialMarginPpm,
  );
  const oiLowerCapQuantums = usdcField(o.oiLowerCap, p("oiLowerCap"), true);
  const oiUpperCapQuantums = usdcField(o.oiUpperCap, p("oiUpperCap"), true);
  if (oiUpperCapQuantums !== 0n && oiUpperCapQuantums <= oiLowerCapQuantums) {
    invalid(p("oiUpperCap"), "must be greater than oiLowerCap (or 0 to disable IMF scaling)");
  }
  const openInterestCapLots = atPath(p("openInterestCap"), () =>
    toUnits(o.openInterestCap, stepSize, { field: p("openInterestCap"), allowZero: false }),
  );
  const maxLiquidationFeePpm = ppmField(o.maxLiquidationFeePpm, p("maxLiquidationFeePpm"), 0n, PPM);
  const maxLiquidationNotionalPerBlock = usdcField(
    o.maxLiquidationNotionalPerBlock,
    p("maxLiquidationNotionalPerBlock"),
    false,
  );
  const maxInsurancePayoutPerBlock = usdcField(
    o.maxInsurancePayoutPerBlock,
    p("maxInsurancePayoutPerBlock"),
    true,
  );
  const impactNotionalQuantums = usdcField(o.impactNotional, p("impactNotional"), false);
  const fundingIntervalSeconds = intField(o.fundingIntervalSeconds, p("fundingIntervalSeconds"), 1);
  const fundingClampPpm = ppmField(o.fundingClampPpm, p("fundingClampPpm"), 0n, 100n * PPM);
  const fundingBaselinePpm = ppmField(o.fundingBaselinePpm, p("fundingBaselinePpm"), -PPM, PPM);
  const takerFeePpm = ppmField(o.takerFeePpm, p("takerFeePpm"), 0n, PPM);
  // A rebate larger than the taker fee would pay makers out of nothing: the fee pool could
  // go negative (DESIGN.md section 6, fees).
  const makerFeePpm = ppmField(o.makerFeePpm, p("makerFeePpm"), -takerFeePpm, PPM);
  const minPriceChangePpm = ppmField(o.minPriceChangePpm, p("minPriceChangePpm"), 0n, PPM - 1n);
  const maxOracleAgeBlocks = intField(o.maxOracleAgeBlocks, p("maxOracleAgeBlocks"), 1);

  return {
    id,
    tickSize,
    stepSize,
    quantumsPerTickLot: qptl,
    initialMarginPpm,
    maintenanceMarginPpm,
    oiLowerCapQuantums,
    oiUpperCapQuantums,
    openInterestCapLots,
    maxLiquidationFeePpm,
    maxLiquidationNotionalPerBlock,
    maxInsurancePayoutPerBlock,
    impactNotionalQuantums,
    fundingIntervalSeconds,
    fundingClampPpm,
    fundingBaselinePpm,
    makerFeePpm,
    takerFeePpm,
    minPriceChangePpm,
    maxOracleAgeBlocks,
  };
}

/** Markets by id, as the risk formulas look them up. */
export type MarketLookup = ReadonlyMap<string, Market>;

/** The market of a position; a position in an unknown market is a broken invariant. */
export function marketOf(markets: MarketLookup, id: string): Market {
  const m = markets.get(id);
  if (m === undefined) throw new InvariantError("position_market", `no market ${id}`);
  return m;
}
