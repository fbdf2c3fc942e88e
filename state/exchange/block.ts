/**
 * finalizeBlock's deterministic body (DESIGN.md section 1):
 *   1. oracle: stake-weighted median of the previous height's vote extensions
 *   2. funding (premium sample, rate at interval boundaries), trigger orders, expiry
 *   3. liquidations, insurance fund, deleveraging
 *   4. transactions: nonces first, then non-order messages, then cancels, then new
 *      orders, each class in proposer order (Hyperliquid's rule)
 *   5. invariants (the caller computes the app hash)
 */
import type { AppEvent, BlockRequest, ExecTxResult } from "../../lib/abci.js";
import { addressOf } from "../../lib/address.js";
import { ErrorCode, PerpetuaError } from "../../lib/errors.js";
import { formatUsdc } from "../../lib/fixed.js";
import { checkNonce, useNonce } from "../accounts/nonceWindow.js";
import {
  addPremiumSample,
  fundingTick,
  premiumSampleFromBook,
  sweepFundingDust,
} from "../funding/index.js";
import { type LiquidationRecord, runLiquidations } from "../liquidation/liquidate.js";
import { aggregateOracle, applyOracleOutcome, type OracleAggregate } from "../oracle/index.js";
import type { Msg, Tx } from "../types/tx.js";
import { getOrCreateAccount } from "./accounts.js";
import { cancelAll, cancelOrder } from "./cancel.js";
import { type BlockCtx, event, priceText } from "./context.js";
import { checkInvariants, FULL_CHECK_BLOCKS } from "./invariants.js";
import { placeOrder } from "./placeOrder.js";
import { encodeResults, failure, type MsgResult } from "./results.js";
import { faucet, transfer } from "./transfer.js";
import { expireOrders, runTriggers } from "./triggers.js";
import type { AccountRec, Exchange } from "./types.js";
import { newDirty } from "./types.js";

/** A transaction of the block: decoded and signature-checked by the caller, or not decodable. */
export type BlockTx = { ok: true; tx: Tx } | { ok: false; code: number; log: string };

export interface BlockOutcome {
  readonly ctx: BlockCtx;
  readonly txResults: ExecTxResult[];
  readonly blockEvents: AppEvent[];
  readonly oracle?: OracleAggregate;
  readonly liquidations: LiquidationRecord[];
}

const MSG_CLASS: Record<Msg["kind"], number> = {
  transfer: 0,
  faucet: 0,
  cancel_order: 1,
  cancel_all: 1,
  place_order: 2,
};
const LAST_CLASS = Object.values(MSG_CLASS).reduce((a, b) => (a > b ? a : b));

function jsonSafe(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x)));
}

export function explainEvent(kind: string, key: string, data: unknown): AppEvent {
  return event("explain", { kind, key, data: JSON.stringify(jsonSafe(data)) });
}

function runMsg(ex: Exchange, ctx: BlockCtx, acct: AccountRec, msg: Msg): MsgResult {
  try {
    switch (msg.kind) {
      case "transfer":
        return transfer(ex, ctx, acct, msg);
      case "faucet":
        return faucet(ex, ctx, acct, msg);
      case "cancel_order":
        return cancelOrder(ex, ctx, acct, msg);
      case "cancel_all":
        return cancelAll(ex, ctx, acct, msg);
      case "place_order":
        return placeOrder(ex, ctx, acct, msg);
    }
  } catch (e) {
    return failure(e);
  }
}

export function executeBlock(
  ex: Exchange,
  req: BlockRequest,
  txs: readonly BlockTx[],
): BlockOutcome {
  const ctx: BlockCtx = { height: req.height, timeMs: req.timeMs, events: [], dirty: newDirty() };
  const blockEvents: AppEvent[] = [];

  // 1. Oracle.
  let oracle: OracleAggregate | undefined;
  if (req.localLastCommit.votes.length > 0) {
    const markets = ex.marketIds.map((id) => ex.markets.get(id)!);
    oracle = aggregateOracle(req.localLastCommit, markets);
    for (const o of oracle.markets) {
      const m = ex.markets.get(o.market)!;
      const next = applyOracleOutcome(m.state, o, req.height);
      if (next !== m.state) {
        m.state = next;
        ctx.dirty.markets.add(o.market);
      }
      ctx.events.push(
        event("oracle", {
          market: o.market,
          status: o.status,
          price: priceText(m, o.newPriceTicks),
          reportingPower: o.reportingPower,
          totalPower: o.totalPower,
        }),
      );
    }
    ctx.events.push(explainEvent("oracle", "", oracle));
  }

  // 2. Funding, triggers, expiry.
  for (const id of ex.marketIds) {
    const m = ex.markets.get(id)!;
    const sample = premiumSampleFromBook(
      m.book.levels("buy"),
      m.book.levels("sell"),
      m.state.oraclePriceTicks,
      m.params.impactNotionalQuantums,
      m.params.quantumsPerTickLot,
    );
    m.state = addPremiumSample(m.state, sample);
    const { state, record } = fundingTick(m, req.timeMs);
    m.state = state;
    ctx.dirty.markets.add(id);
    if (record) {
      const swept = sweepFundingDust(m.fundingLedger);
      m.fundingLedger = swept.ledger;
      ex.insuranceFundQuantums += swept.toInsuranceQuantums;
      ctx.dirty.globals = true;
      ctx.events.push(
        event("funding", { market: id, ratePpm: record.ratePpm, index: record.indexAfter }),
      );
      ctx.events.push(
        explainEvent("funding", id, { ...record, dustToInsurance: swept.toInsuranceQuantums }),
      );
    }
  }
  for (const id of ex.marketIds) {
    const m = ex.markets.get(id)!;
    expireOrders(ex, ctx, m);
    runTriggers(ex, ctx, m);
  }

  // 3. Liquidations.
  const liquidations = runLiquidations(ex, ctx);
  for (const r of liquidations) ctx.events.push(explainEvent("liquidation", r.account, r));
  blockEvents.push(...ctx.events);
  ctx.events.length = 0;

  // 4. Transactions. Nonces are consumed first (a tx with a bad nonce runs nothing).
  const results: (MsgResult[] | undefined)[] = [];
  const accounts: (AccountRec | undefined)[] = [];
  const txErrors: ({ code: number; log: string } | undefined)[] = [];
  const txEvents: AppEvent[][] = txs.map(() => []);
  for (let i = 0; i < txs.length; i++) {
    const t = txs[i];
    if (!t.ok) {
      txErrors[i] = { code: t.code, log: t.log };
      continue;
    }
    const address = addressOf(t.tx.body.signer);
    if (t.tx.body.chainId !== ex.chainId) {
      txErrors[i] = {
        code: ErrorCode.WRONG_CHAIN,
        log: `chain id ${t.tx.body.chainId}, expected ${ex.chainId}`,
      };
      continue;
    }
    const existing = ex.accounts.get(address);
    try {
      checkNonce(existing?.nonces ?? [], t.tx.body.nonce);
    } catch (e) {
      if (!(e instanceof PerpetuaError)) throw e;
      txErrors[i] = { code: e.code, log: e.message };
      continue;
    }
    const acct = existing ?? getOrCreateAccount(ex, address, ctx.dirty);
    acct.nonces = useNonce(acct.nonces, t.tx.body.nonce);
    ctx.dirty.accounts.add(address);
    accounts[i] = acct;
    results[i] = new Array(t.tx.body.msgs.length);
  }
  // A transaction's results are complete once the last class has run for it: they are
  // encoded then, so the message results (one per order, ~17,000 per block at devnet load)
  // die young instead of living to the end of the block.
  const data: Uint8Array[] = [];
  const failedMsgs: number[] = [];
  for (let cls = 0; cls <= LAST_CLASS; cls++) {
    for (let i = 0; i < txs.length; i++) {
      const t = txs[i];
      const acct = accounts[i];
      if (!t.ok || !acct) continue;
      const msgs = t.tx.body.msgs;
      const rs = results[i]!;
      for (let j = 0; j < msgs.length; j++) {
        if (MSG_CLASS[msgs[j].kind] !== cls) continue;
        const start = ctx.events.length;
        rs[j] = runMsg(ex, ctx, acct, msgs[j]);
        for (let k = start; k < ctx.events.length; k++) txEvents[i].push(ctx.events[k]);
      }
      if (cls === LAST_CLASS) {
        data[i] = encodeResults(rs);
        failedMsgs[i] = rs.filter((r) => r.code !== 0).length;
        results[i] = undefined;
      }
    }
  }

  const txResults: ExecTxResult[] = txs.map((t, i) => {
    const err = txErrors[i];
    if (err) return { code: err.code, log: err.log, data: new Uint8Array(), events: [] };
    const n = t.ok ? t.tx.body.msgs.length : 0;
    const failed = failedMsgs[i];
    return {
      code: 0,
      log: failed === 0 ? `${n} ok` : `${n - failed} ok, ${failed} failed`,
      data: data[i],
      events: [event("tx", { signer: accounts[i]!.address, msgs: n, failed }), ...txEvents[i]],
    };
  });

  ex.height = req.height;
  ex.timeMs = req.timeMs;
  ctx.dirty.globals = true;

  // 5. Invariants: halt rather than commit a broken state.
  checkInvariants(ex, req.height % FULL_CHECK_BLOCKS === 0);
  blockEvents.push(
    event("block", { height: req.height, insuranceFund: formatUsdc(ex.insuranceFundQuantums) }),
  );
  return { ctx, txResults, blockEvents, oracle, liquidations };
}
