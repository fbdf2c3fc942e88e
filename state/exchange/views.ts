/**
 * Read-only views of the state for queries (the `account`, `markets`, `orderbook`,
 * `oracle_prices` and `insurance_fund` RPC methods): decimal strings at the edge, every
 * number computed by the same formulas the state machine uses.
 */
import { formatUsdc, fromUnits } from "../../lib/fixed.js";
import {
  accountRisk,
  displayedCollateralQuantums,
  liquidationPriceTicks,
  marketInitialMarginFractionPpm,
  unrealizedPnlQuantums,
} from "../margin/index.js";
import { isStale } from "../oracle/index.js";
import { priceText, sizeText } from "./context.js";
import type { Exchange, MarketRec, OrderRec } from "./types.js";

function ppmText(ppm: bigint): string {
  return fromUnits(ppm, { text: "0.000001", decimals: 6, scaled: 1n });
}

export function orderView(m: MarketRec, o: OrderRec, remainingLots: number) {
  return {
    orderId: o.id,
    market: o.market,
    clientId: o.clientId,
    side: o.side,
    type: o.type,
    price: priceText(m, o.priceTicks),
    size: sizeText(m, o.sizeLots),
    remaining: sizeText(m, remainingLots),
    tif: o.tif,
    reduceOnly: o.reduceOnly,
    goodTilBlock: o.goodTilBlock ?? null,
    trigger: o.trigger ? { kind: o.trigger.kind, price: priceText(m, o.trigger.priceTicks) } : null,
    status: o.trigger ? "untriggered" : "open",
  };
}

export function accountView(ex: Exchange, address: string) {
  const a = ex.accounts.get(address);
  if (!a) {
    return {
      address,
      exists: false,
      collateral: "0",
      quoteBalance: "0",
      equity: "0",
      freeCollateral: "0",
      initialMargin: "0",
      maintenanceMargin: "0",
      positions: [],
      openOrders: [],
      nonces: [],
    };
  }
  const risk = accountRisk(a, ex.markets);
  const positions = a.positions.map((p) => {
    const m = ex.markets.get(p.market)!;
    const q = m.params.quantumsPerTickLot;
    const abs = p.sizeLots < 0n ? -p.sizeLots : p.sizeLots;
    const liq = liquidationPriceTicks(a, p, ex.markets);
    return {
      market: p.market,
      side: p.sizeLots > 0n ? "long" : "short",
      size: sizeText(m, p.sizeLots),
      entryPrice:
        abs === 0n
          ? "0"
          : fromUnits(
              (p.entryNotional < 0n ? -p.entryNotional : p.entryNotional) / (abs * q),
              m.params.tickSize,
            ),
      entryNotional: formatUsdc(p.entryNotional),
      unrealizedPnl: formatUsdc(
        unrealizedPnlQuantums(p.sizeLots, p.entryNotional, m.state.oraclePriceTicks, q),
      ),
      liquidationPrice: liq === undefined ? null : priceText(m, liq),
      oraclePrice: priceText(m, m.state.oraclePriceTicks),
    };
  });
  const openOrders = [];
  for (const id of ex.marketIds) {
    const m = ex.markets.get(id)!;
    for (const o of m.book.ordersOf(a.ownerId))
      openOrders.push(orderView(m, m.resting.get(o.id)!, o.remainingLots));
    for (const t of [...m.triggers.values()]
      .filter((t) => t.ownerId === a.ownerId)
      .sort((x, y) => x.id - y.id)) {
      openOrders.push(orderView(m, t, t.sizeLots));
    }
  }
  return {
    address,
    exists: true,
    collateral: formatUsdc(displayedCollateralQuantums(a.quoteBalance, a.positions)),
    quoteBalance: formatUsdc(a.quoteBalance),
    equity: formatUsdc(risk.equityQuantums),
    freeCollateral: formatUsdc(risk.freeCollateralQuantums),
    initialMargin: formatUsdc(risk.initialQuantums),
    maintenanceMargin: formatUsdc(risk.maintenanceQuantums),
    unsettledFunding: formatUsdc(risk.unsettledFundingQuantums),
    liquidatable: risk.liquidatable,
    positions,
    openOrders,
    nonces: a.nonces,
  };
}

export function marketsView(ex: Exchange) {
  return ex.marketIds.map((id) => {
    const m = ex.markets.get(id)!;
    const bid = m.book.bestBid();
    const ask = m.book.bestAsk();
    // Mark price: the oracle, clamped into the book's spread when both sides exist (a
    // common convention; it is for display, risk uses the oracle price).
    let mark = m.state.oraclePriceTicks;
    if (bid !== undefined && mark < BigInt(bid)) mark = BigInt(bid);
    if (ask !== undefined && mark > BigInt(ask)) mark = BigInt(ask);
    return {
      id,
      tickSize: m.params.tickSize.text,
      stepSize: m.params.stepSize.text,
      initialMarginFraction: ppmText(m.params.initialMarginPpm),
      effectiveInitialMarginFraction: ppmText(marketInitialMarginFractionPpm(m)),
      maintenanceMarginFraction: ppmText(m.params.maintenanceMarginPpm),
      makerFee: ppmText(m.params.makerFeePpm),
      takerFee: ppmText(m.params.takerFeePpm),
      oraclePrice: priceText(m, m.state.oraclePriceTicks),
      oracleHeight: m.state.oracleHeight,
      stale: isStale(m, ex.height + 1),
      markPrice: priceText(m, mark),
      bestBid: bid === undefined ? null : priceText(m, bid),
      bestAsk: ask === undefined ? null : priceText(m, ask),
      fundingRate: ppmText(m.state.lastFundingRatePpm),
      fundingIntervalSeconds: m.params.fundingIntervalSeconds,
      openInterest: sizeText(m, m.state.openInterestLots),
      openInterestCap: sizeText(m, m.params.openInterestCapLots),
      restingOrders: m.book.size(),
    };
  });
}

export function orderbookView(ex: Exchange, id: string, depth: number) {
  const m = ex.markets.get(id)!;
  const d = m.book.depth(depth);
  return {
    market: id,
    height: ex.height,
    bids: d.bids.map(([p, s]) => [priceText(m, p), sizeText(m, s)]),
    asks: d.asks.map(([p, s]) => [priceText(m, p), sizeText(m, s)]),
  };
}

export function oracleView(ex: Exchange) {
  return ex.marketIds.map((id) => {
    const m = ex.markets.get(id)!;
    return {
      market: id,
      price: priceText(m, m.state.oraclePriceTicks),
      height: m.state.oracleHeight,
      stale: isStale(m, ex.height + 1),
    };
  });
}
