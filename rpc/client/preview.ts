/**
 * Order previews with the chain's own risk formulas (state/margin): the margin an account
 * would need after a fill and the liquidation price of the resulting position, computed
 * from the market parameters of the genesis and the live oracle price and open interest,
 * in the chain's units and roundings. Funding not yet settled is not known to the RPC and
 * is taken as zero, so a preview can differ from the chain by that amount.
 */
import { formatUsdc, parseUsdc, toUnits } from "../../lib/fixed.js";
import {
  liquidationPriceTicks,
  marginRequirements,
  marketInitialMarginFractionPpm,
} from "../../state/margin/index.js";
import type { Account, Position } from "../../state/types/account.js";
import {
  initialMarketState,
  type Market,
  type MarketLookup,
  parseMarketParams,
} from "../../state/types/market.js";
import type { PerpetuaClient } from "./client.js";
import type { AccountInfo } from "./types.js";

/** The markets as the risk formulas read them, from `genesis` (params) and `markets` (state). */
export async function loadRiskMarkets(client: PerpetuaClient): Promise<MarketLookup> {
  const [g, live] = await Promise.all([client.genesis(), client.markets()]);
  const appState = g.genesis.app_state as { markets: Record<string, unknown>[] };
  const out = new Map<string, Market>();
  for (const [i, json] of appState.markets.entries()) {
    const { initialOraclePrice: _, ...rest } = json;
    const params = parseMarketParams(rest, `genesis.app_state.markets[${i}]`);
    const m = live.markets.find((x) => x.id === params.id);
    if (!m) continue;
    const state = initialMarketState(toUnits(m.oraclePrice, params.tickSize), m.oracleHeight, 0);
    state.openInterestLots = toUnits(m.openInterest, params.stepSize);
    out.set(params.id, { params, state });
  }
  return out;
}

/** The chain's Account record from the `account` view (funding index taken as settled). */
export function accountFromView(view: AccountInfo, markets: MarketLookup): Account {
  const positions: Position[] = view.positions
    .filter((p) => p.size !== "0")
    .map((p) => {
      const m = markets.get(p.market);
      if (!m) throw new TypeError(`unknown market ${p.market}`);
      return {
        market: p.market,
        sizeLots: signedUnits(p.size, m),
        entryNotional:
          parseUsdc(p.entryNotional.replace("-", ""), { allowZero: true }) *
          (p.entryNotional.startsWith("-") ? -1n : 1n),
        fundingIndex: m.state.cumulativeFundingIndex,
      };
    });
  const q = view.quoteBalance;
  const quoteBalance =
    parseUsdc(q.replace("-", ""), { allowZero: true }) * (q.startsWith("-") ? -1n : 1n);
  return { address: view.address, quoteBalance, positions };
}

function signedUnits(size: string, m: Market): bigint {
  const neg = size.startsWith("-");
  const v = toUnits(neg ? size.slice(1) : size, m.params.stepSize, { allowZero: true });
  return neg ? -v : v;
}

export interface OrderPreview {
  /** Initial and maintenance margin of the whole account after the fill (USDC). */
  initialMargin: string;
  maintenanceMargin: string;
  /** The market's initial margin fraction now (open-interest scaled), e.g. "0.05". */
  initialMarginFraction: string;
  /** Liquidation price of the resulting position; null when none or flat. */
  liquidationPrice: string | null;
  /** The position after the fill, signed decimal size. */
  positionSize: string;
}

/**
 * What the account would look like if the order filled completely at `price`: the fee is
 * left out (it depends on maker or taker), the rest is the chain's arithmetic.
 */
export function previewOrder(
  markets: MarketLookup,
  account: Account,
  order: { market: string; side: "buy" | "sell"; price: string; size: string },
): OrderPreview {
  const m = markets.get(order.market);
  if (!m) throw new TypeError(`unknown market ${order.market}`);
  const q = m.params.quantumsPerTickLot;
  const lots = toUnits(order.size, m.params.stepSize) * (order.side === "buy" ? 1n : -1n);
  const ticks = toUnits(order.price, m.params.tickSize);
  const old = account.positions.find((p) => p.market === order.market);
  const size = (old?.sizeLots ?? 0n) + lots;
  // Cash moves by −lots × price; the position's cost basis by the same notional, so equity
  // at the fill price is unchanged (as the chain's fill accounting).
  const quoteBalance = account.quoteBalance - lots * ticks * q;
  const others = account.positions.filter((p) => p.market !== order.market);
  const position: Position | undefined =
    size === 0n
      ? undefined
      : {
          market: order.market,
          sizeLots: size,
          entryNotional: (old?.entryNotional ?? 0n) + lots * ticks * q,
          fundingIndex: m.state.cumulativeFundingIndex,
        };
  const positions = [...others, ...(position ? [position] : [])].sort((a, b) =>
    a.market < b.market ? -1 : 1,
  );
  const after: Account = { address: account.address, quoteBalance, positions };
  const req = marginRequirements(positions, markets);
  const liq = position ? liquidationPriceTicks(after, position, markets) : undefined;
  const imf = marketInitialMarginFractionPpm(m);
  return {
    initialMargin: formatUsdc(req.initialQuantums),
    maintenanceMargin: formatUsdc(req.maintenanceQuantums),
    initialMarginFraction: formatUsdc(imf),
    liquidationPrice: liq === undefined ? null : formatTicks(liq, m),
    positionSize: signedText(size, m),
  };
}

function formatTicks(ticks: bigint, m: Market): string {
  return toText(ticks * m.params.tickSize.scaled, m.params.tickSize.decimals);
}

function signedText(lots: bigint, m: Market): string {
  return toText(lots * m.params.stepSize.scaled, m.params.stepSize.decimals);
}

function toText(v: bigint, decimals: number): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const p = 10n ** BigInt(decimals);
  const frac =
    decimals > 0 ? `.${(a % p).toString().padStart(decimals, "0")}`.replace(/\.?0+$/, "") : "";
  return `${neg ? "-" : ""}${a / p}${frac}`;
}
