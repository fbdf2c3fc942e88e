/**
 * The application's part of genesis (`app_state` of genesis.json): funded accounts,
 * markets, the insurance fund and the faucet. Parsed strictly: decimal strings at the
 * edge, every error names its field path (e.g. `app_state.markets[1].tickSize: ...`).
 */
import { ErrorCode, PerpetuaError } from "../../lib/errors.js";
import { parseUsdc, toUnits } from "../../lib/fixed.js";
import { type MarketParams, parseMarketParams } from "./market.js";

export interface GenesisAccount {
  readonly address: string;
  /** USDC quantums. */
  readonly collateralQuantums: bigint;
}

export interface GenesisMarket {
  readonly params: MarketParams;
  readonly initialOraclePriceTicks: bigint;
}

export interface AppState {
  readonly accounts: readonly GenesisAccount[];
  readonly markets: readonly GenesisMarket[];
  readonly insuranceFundQuantums: bigint;
  readonly faucet: { readonly enabled: boolean; readonly maxAmountQuantums: bigint };
}

/** JSON shape of app_state, for generators (genesis/, devnet). */
export interface AppStateJson {
  accounts: { address: string; collateral: string }[];
  markets: (Record<string, unknown> & { id: string; initialOraclePrice: string })[];
  insuranceFund: string;
  faucet: { enabled: boolean; maxAmount: string };
}

const ADDRESS_RE = /^0x[0-9a-f]{40}$/;
const MAX_GENESIS_ACCOUNTS = 1_000_000;
const MAX_MARKETS = 64;

function invalid(path: string, why: string): never {
  throw new PerpetuaError(ErrorCode.INVALID_FIELD, `${path}: ${why}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function closed(o: Record<string, unknown>, keys: readonly string[], path: string): void {
  for (const k of Object.keys(o).sort())
    if (!keys.includes(k)) invalid(`${path}.${k}`, "unknown field");
  for (const k of keys) if (!Object.hasOwn(o, k)) invalid(`${path}.${k}`, "missing");
}

function usdc(v: unknown, path: string, allowZero = true): bigint {
  try {
    return parseUsdc(v, { field: path, allowZero });
  } catch (e) {
    if (e instanceof PerpetuaError) invalid(path, e.message.replace(`${path}: `, ""));
    throw e;
  }
}

export function parseAppState(json: unknown, path = "app_state"): AppState {
  if (!isObject(json)) invalid(path, "expected an object");
  closed(json, ["accounts", "markets", "insuranceFund", "faucet"], path);

  if (!Array.isArray(json.accounts)) invalid(`${path}.accounts`, "expected an array");
  if (json.accounts.length > MAX_GENESIS_ACCOUNTS) invalid(`${path}.accounts`, "too many accounts");
  const seen = new Set<string>();
  const accounts = json.accounts.map((a, i): GenesisAccount => {
    const p = `${path}.accounts[${i}]`;
    if (!isObject(a)) invalid(p, "expected an object");
    closed(a, ["address", "collateral"], p);
    if (typeof a.address !== "string" || !ADDRESS_RE.test(a.address)) {
      invalid(`${p}.address`, "expected 0x and 40 lower-case hex digits");
    }
    if (seen.has(a.address)) invalid(`${p}.address`, `duplicate account ${a.address}`);
    seen.add(a.address);
    return { address: a.address, collateralQuantums: usdc(a.collateral, `${p}.collateral`) };
  });

  if (!Array.isArray(json.markets)) invalid(`${path}.markets`, "expected an array");
  if (json.markets.length > MAX_MARKETS)
    invalid(`${path}.markets`, `at most ${MAX_MARKETS} markets`);
  const ids = new Set<string>();
  const markets = json.markets.map((m, i): GenesisMarket => {
    const p = `${path}.markets[${i}]`;
    if (!isObject(m)) invalid(p, "expected an object");
    const { initialOraclePrice, ...rest } = m;
    if (initialOraclePrice === undefined) invalid(`${p}.initialOraclePrice`, "missing");
    const params = parseMarketParams(rest, p);
    if (ids.has(params.id)) invalid(`${p}.id`, `duplicate market ${params.id}`);
    ids.add(params.id);
    let ticks: bigint;
    try {
      ticks = toUnits(initialOraclePrice, params.tickSize, {
        field: `${p}.initialOraclePrice`,
        allowZero: false,
      });
    } catch (e) {
      if (e instanceof PerpetuaError)
        invalid(`${p}.initialOraclePrice`, e.message.replace(`${p}.initialOraclePrice: `, ""));
      throw e;
    }
    return { params, initialOraclePriceTicks: ticks };
  });

  const insuranceFundQuantums = usdc(json.insuranceFund, `${path}.insuranceFund`);
  const f = json.faucet;
  if (!isObject(f)) invalid(`${path}.faucet`, "expected an object");
  closed(f, ["enabled", "maxAmount"], `${path}.faucet`);
  if (typeof f.enabled !== "boolean") invalid(`${path}.faucet.enabled`, "expected a boolean");
  const maxAmountQuantums = usdc(f.maxAmount, `${path}.faucet.maxAmount`);

  return {
    accounts,
    markets,
    insuranceFundQuantums,
    faucet: { enabled: f.enabled, maxAmountQuantums },
  };
}
