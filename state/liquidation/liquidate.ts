/**
 * The liquidation step of every block (DESIGN.md section 6, after dYdX v4 x/clob
 * liquidations): after oracle prices and funding,
 *
 *  1. every account with equity < MMR (and MMR > 0) is liquidatable; they are processed in
 *     ascending equity/MMR, ties by address (state/margin/health.ts);
 *  2. its open orders are cancelled; then position by position (markets in id order,
 *     skipping markets whose oracle is stale) a protocol IOC order closes the position at
 *     prices no worse than the fillable price (fillablePrice.ts) and, while the account's
 *     equity is ≥ 0, never worse than the bankruptcy price;
 *  3. each fill pays the insurance fund its surplus over the bankruptcy quote, capped at
 *     maxLiquidationFeePpm of the notional; a fill below the bankruptcy quote (a bankrupt
 *     account) is topped up by the fund, within its balance and the per-block payout cap;
 *     a fill the fund cannot top up is not made;
 *  4. a bankrupt account (equity < 0) whose position remains is auto-deleveraged;
 *  5. per market, the notional liquidated per block is capped;
 *  6. any negative equity seen gates withdrawals and transfers for 50 blocks.
 *
 * Every decision's inputs are returned as a record for `explain`.
 */
import { abs, divRound, PPM, Rounding } from "../../lib/fixed.js";
import { cancelAllOf } from "../exchange/cancel.js";
import { type BlockCtx, event, priceText, sizeText, touchGlobals } from "../exchange/context.js";
import { executeTaker } from "../exchange/execute.js";
import { positionOf } from "../exchange/positions.js";
import type { AccountRec, Exchange, OrderRec } from "../exchange/types.js";
import { accountRisk, bankruptcyPrice, compareLiquidationOrder } from "../margin/index.js";
import { isStale } from "../oracle/index.js";
import { type DeleverageFill, deleverage } from "./deleverage.js";
import { fillablePriceTicks } from "./fillablePrice.js";
import { canPay, collect, type PayoutBudget, pay } from "./insuranceFund.js";

/** Withdrawals and transfers stay blocked this many blocks after negative equity. */
export const WITHDRAWAL_GATE_BLOCKS = 50;

export interface LiquidationStep {
  readonly market: string;
  readonly oraclePriceTicks: string;
  readonly positionLots: string;
  readonly closeLots: string;
  readonly fillablePriceTicks: string;
  readonly bankruptcyPriceTicks: string;
  readonly limitPriceTicks: string;
  readonly filledLots: string;
  readonly feeToInsuranceQuantums: string;
  readonly insurancePaidQuantums: string;
  readonly deleveraged: readonly DeleverageFill[];
  readonly skipped?: string;
}

/** Everything one liquidation saw and did, kept in block results for `explain`. */
export interface LiquidationRecord {
  readonly account: string;
  readonly height: number;
  readonly equityBefore: string;
  readonly maintenanceBefore: string;
  readonly initialBefore: string;
  readonly cancelledOrders: number;
  readonly steps: LiquidationStep[];
  readonly equityAfter: string;
  readonly maintenanceAfter: string;
}

export function runLiquidations(ex: Exchange, ctx: BlockCtx): LiquidationRecord[] {
  const candidates: { acct: AccountRec; equity: bigint; mmr: bigint }[] = [];
  let negativeSeen = false;
  // The scan's result (a set and a flag) does not depend on iteration order; the
  // candidates are sorted by a total order below.
  for (const acct of ex.accounts.values()) {
    if (acct.positions.length === 0) continue;
    const r = accountRisk(acct, ex.markets);
    if (r.equityQuantums < 0n) negativeSeen = true;
    if (r.liquidatable)
      candidates.push({ acct, equity: r.equityQuantums, mmr: r.maintenanceQuantums });
  }
  if (negativeSeen) gate(ex, ctx);
  if (candidates.length === 0) return [];
  candidates.sort((a, b) =>
    compareLiquidationOrder(
      { address: a.acct.address, equityQuantums: a.equity, maintenanceQuantums: a.mmr },
      { address: b.acct.address, equityQuantums: b.equity, maintenanceQuantums: b.mmr },
    ),
  );

  const notionalLeft = new Map<string, bigint>();
  const payout: PayoutBudget = new Map();
  for (const id of ex.marketIds) {
    const p = ex.markets.get(id)!.params;
    notionalLeft.set(id, p.maxLiquidationNotionalPerBlock);
    payout.set(id, p.maxInsurancePayoutPerBlock);
  }
  const records: LiquidationRecord[] = [];
  for (const c of candidates) {
    const rec = liquidateAccount(ex, ctx, c.acct, notionalLeft, payout);
    if (rec) records.push(rec);
  }
  return records;
}

function gate(ex: Exchange, ctx: BlockCtx): void {
  const until = ctx.height + WITHDRAWAL_GATE_BLOCKS;
  if (until > ex.withdrawalsGatedUntil) {
    ex.withdrawalsGatedUntil = until;
    touchGlobals(ctx);
  }
}

function liquidateAccount(
  ex: Exchange,
  ctx: BlockCtx,
  acct: AccountRec,
  notionalLeft: Map<string, bigint>,
  payout: PayoutBudget,
): LiquidationRecord | undefined {
  const before = accountRisk(acct, ex.markets);
  if (!before.liquidatable) return undefined; // an earlier liquidation this block restored it
  const cancelled = cancelAllOf(ex, ctx, acct, ex.marketIds, "liquidation");
  const steps: LiquidationStep[] = [];
  for (const id of ex.marketIds) {
    const pos = positionOf(acct, id);
    if (!pos) continue;
    const m = ex.markets.get(id)!;
    const oracle = m.state.oraclePriceTicks;
    const base = {
      market: id,
      oraclePriceTicks: oracle.toString(),
      positionLots: pos.sizeLots.toString(),
    };
    if (isStale(m, ctx.height)) {
      steps.push(emptyStep(base, "stale oracle: no liquidation"));
      continue;
    }
    const risk = accountRisk(acct, ex.markets);
    if (!risk.liquidatable) break;
    const q = m.params.quantumsPerTickLot;
    const left = notionalLeft.get(id)!;
    // Lots the per-block notional cap still allows, floored: never exceed the cap.
    const capLots = divRound(left, oracle * q, Rounding.Floor);
    let closeLots = abs(pos.sizeLots);
    if (capLots < closeLots) closeLots = capLots;
    if (closeLots <= 0n) {
      steps.push(emptyStep(base, "per-block liquidation notional cap reached"));
      continue;
    }
    const isLong = pos.sizeLots > 0n;
    const fillable = fillablePriceTicks(acct, pos, ex.markets);
    const bankrupt = bankruptcyPrice(acct, pos, closeLots, ex.markets).priceTicks;
    // While equity ≥ 0 the fill may not be worse than bankruptcy (the fund is not needed);
    // a bankrupt account closes at the fillable price with the fund's help.
    let limit = fillable;
    if (risk.equityQuantums >= 0n) {
      limit = isLong
        ? fillable > bankrupt
          ? fillable
          : bankrupt
        : fillable < bankrupt
          ? fillable
          : bankrupt;
    }
    if (limit < 1n) limit = 1n;
    let fee = 0n;
    let paid = 0n;
    // The bankruptcy quote of the fill being checked, carried from takerCheck to onFill
    // (the guard calls them in that order for the same fill).
    let pendingBankruptcyQuote = 0n;
    const order: OrderRec = {
      id: ex.nextOrderId++,
      market: id,
      owner: acct.address,
      ownerId: acct.ownerId,
      side: isLong ? "sell" : "buy",
      type: "limit",
      priceTicks: Number(limit),
      sizeLots: Number(closeLots),
      tif: "ioc",
      reduceOnly: true,
      clientId: 0,
      stp: "cancel_taker",
      placedHeight: ctx.height,
    };
    const takerCheck = (priceTicks: bigint, lots: bigint, notional: bigint): boolean => {
      const p = positionOf(acct, id)!;
      const bq = bankruptcyPrice(acct, p, lots, ex.markets).deltaQuoteQuantums;
      pendingBankruptcyQuote = bq;
      const received = isLong ? notional : -notional;
      const surplus = received - bq;
      if (surplus >= 0n) return priceTicks > 0n;
      return canPay(ex, payout, id, -surplus);
    };
    let filled = 0n;
    executeTaker(ex, ctx, m, order, {
      maxFillLots: Number(closeLots),
      takerFeePpm: 0n,
      takerCheck,
      liquidation: true,
      onFill: (f) => {
        filled += f.sizeLots;
        notionalLeft.set(id, notionalLeft.get(id)! - f.notionalQuantums);
        // surplus = what the account received − the bankruptcy quote of the closed lots.
        const received = isLong ? f.notionalQuantums : -f.notionalQuantums;
        const surplus = received - pendingBankruptcyQuote;
        if (surplus >= 0n) {
          // Fee to the fund: the surplus, at most maxLiquidationFeePpm of the notional
          // (floored: the account is never charged above the cap).
          const cap = divRound(
            f.notionalQuantums * m.params.maxLiquidationFeePpm,
            PPM,
            Rounding.Floor,
          );
          const take = surplus < cap ? surplus : cap;
          acct.quoteBalance -= take;
          collect(ex, take);
          fee += take;
        } else {
          pay(ex, payout, id, -surplus);
          acct.quoteBalance += -surplus;
          paid += -surplus;
        }
        touchGlobals(ctx);
      },
    });
    steps.push({
      ...base,
      closeLots: closeLots.toString(),
      fillablePriceTicks: fillable.toString(),
      bankruptcyPriceTicks: bankrupt.toString(),
      limitPriceTicks: limit.toString(),
      filledLots: filled.toString(),
      feeToInsuranceQuantums: fee.toString(),
      insurancePaidQuantums: paid.toString(),
      deleveraged: maybeDeleverage(ex, ctx, acct, m),
    });
    if (filled > 0n || fee > 0n || paid > 0n) {
      ctx.events.push(
        event("liquidation", {
          market: id,
          account: acct.address,
          size: sizeText(m, filled),
          limitPrice: priceText(m, limit),
          insuranceFee: fee,
          insurancePaid: paid,
        }),
      );
    }
  }
  ctx.dirty.accounts.add(acct.address);
  const after = accountRisk(acct, ex.markets);
  return {
    account: acct.address,
    height: ctx.height,
    equityBefore: before.equityQuantums.toString(),
    maintenanceBefore: before.maintenanceQuantums.toString(),
    initialBefore: before.initialQuantums.toString(),
    cancelledOrders: cancelled,
    steps,
    equityAfter: after.equityQuantums.toString(),
    maintenanceAfter: after.maintenanceQuantums.toString(),
  };
}

function maybeDeleverage(
  ex: Exchange,
  ctx: BlockCtx,
  acct: AccountRec,
  m: Parameters<typeof deleverage>[3],
): DeleverageFill[] {
  if (!positionOf(acct, m.params.id)) return [];
  if (accountRisk(acct, ex.markets).equityQuantums >= 0n) return [];
  return deleverage(ex, ctx, acct, m);
}

function emptyStep(
  base: { market: string; oraclePriceTicks: string; positionLots: string },
  why: string,
): LiquidationStep {
  return {
    ...base,
    closeLots: "0",
    fillablePriceTicks: "0",
    bankruptcyPriceTicks: "0",
    limitPriceTicks: "0",
    filledLots: "0",
    feeToInsuranceQuantums: "0",
    insurancePaidQuantums: "0",
    deleveraged: [],
    skipped: why,
  };
}
