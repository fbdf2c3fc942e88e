/**
 * perpetua's exchange methods (DESIGN.md section 5): `markets`, `orderbook`, `trades`,
 * `account`, `oracle_prices`, `insurance_fund`, `explain`.
 *
 * Params are checked here, once, with -32602 messages naming the field; the application
 * answers the rest (unknown market: its code 300). Reads of the application go through
 * `ExchangeSource.query`, history (trades, explain) through the committed heights the node
 * stores, so `explain` shows what the state machine recorded, never a recomputation.
 */
import type { QueryRequest, QueryResponse } from "../../lib/abci.js";
import { ErrorCode, PerpetuaError } from "../../lib/errors.js";
import { invalidParams } from "../errors.js";
import { address, bool, height, int, market, oneOf, optional } from "../params.js";
import type { Router } from "../routes.js";
import {
  type CommittedHeight,
  type ExplainKind,
  explainRecordsOf,
  isoTime,
  type TradeView,
} from "./events.js";

/**
 * The account proof as JSON (the node encodes it: state/store/proof.ts `encodeProof`).
 * Verify with `verifyProof(fromHex(root), fromHex(key), value && fromBase64(value),
 * decodeProof(fromBase64(proof)))`, and check `root` against the app hash of `height`
 * (`block_results(height).app_hash`, or the header `app_hash` of block height + 1).
 */
export interface AccountProofJson {
  /** State key of the account record, hex. */
  key: string;
  /** The committed account record (canonical CBOR), base64; null when absent. */
  value: string | null;
  /** The wire form of the proof (canonical CBOR), base64. */
  proof: string;
  /** The state root the proof leads to, upper-case hex (the app hash of `height`). */
  root: string;
  /** The store version (height + 1: version 1 is genesis). */
  version: number;
  /** The height whose app hash `root` is. */
  height: number;
}

export interface ExchangeSource {
  /** The application's query; `proof` (with prove) is already `AccountProofJson`. */
  query(req: QueryRequest): Promise<QueryResponse> | QueryResponse;
  /** Last committed height. */
  latestHeight(): number;
  /** A stored height's block summary and FinalizeBlock results; undefined if not stored. */
  committed(height: number): CommittedHeight | undefined;
  /** The last `limit` fills of a market, newest first; undefined for an unknown market. */
  trades(market: string, limit: number): TradeView[] | undefined;
}

export const ORDERBOOK_MAX_DEPTH = 500;
export const TRADES_MAX_LIMIT = 1000;
const TRADES_DEFAULT_LIMIT = 100;
const ORDERBOOK_DEFAULT_DEPTH = 50;

async function ask(
  source: ExchangeSource,
  path: string,
  params: Record<string, unknown> = {},
  prove = false,
): Promise<QueryResponse> {
  const r = await source.query({ path, params, prove });
  // The application reports rejections as codes (unknown market: 300): keep them.
  if (r.code !== 0) throw new PerpetuaError(r.code as ErrorCode, r.log);
  return r;
}

function unknownMarket(id: string): PerpetuaError {
  return new PerpetuaError(ErrorCode.UNKNOWN_MARKET, `unknown market ${id}`);
}

export function registerExchangeRoutes(router: Router, source: ExchangeSource): void {
  router.register("markets", {
    description: "every market: params, oracle and mark price, funding rate, open interest",
    handler: async () => {
      const r = await ask(source, "markets");
      return { height: r.height, markets: r.value };
    },
  });

  router.register("orderbook", {
    description: `bids and asks as [price, size] levels (depth 1..${ORDERBOOK_MAX_DEPTH}, default ${ORDERBOOK_DEFAULT_DEPTH})`,
    params: {
      market: market(),
      depth: optional(int({ min: 1, max: ORDERBOOK_MAX_DEPTH })),
    },
    handler: async (p) => {
      const r = await ask(source, "orderbook", {
        market: p.market,
        depth: p.depth ?? ORDERBOOK_DEFAULT_DEPTH,
      });
      return r.value;
    },
  });

  router.register("trades", {
    description: `recent fills of a market, newest first (limit 1..${TRADES_MAX_LIMIT}, default ${TRADES_DEFAULT_LIMIT})`,
    params: {
      market: market(),
      limit: optional(int({ min: 1, max: TRADES_MAX_LIMIT })),
    },
    handler: (p) => {
      const trades = source.trades(p.market, p.limit ?? TRADES_DEFAULT_LIMIT);
      if (!trades) throw unknownMarket(p.market);
      return { market: p.market, height: source.latestHeight(), trades };
    },
  });

  router.register("account", {
    description: "collateral, margin, positions, open orders, nonces (+ proof with prove)",
    params: { address: address(), prove: optional(bool()) },
    handler: async (p) => {
      const prove = p.prove === true;
      const r = await ask(source, "account", { address: p.address }, prove);
      const view = r.value as Record<string, unknown>;
      return { height: r.height, ...view, ...(prove ? { proof: r.proof } : {}) };
    },
  });

  router.register("oracle_prices", {
    description: "per market: oracle price, the height it was written, staleness",
    handler: async () => {
      const r = await ask(source, "oracle_prices");
      return { height: r.height, prices: r.value };
    },
  });

  router.register("insurance_fund", {
    description: "insurance fund balance and fee pool (USDC)",
    handler: async () => {
      const r = await ask(source, "insurance_fund");
      return { height: r.height, ...(r.value as Record<string, unknown>) };
    },
  });

  router.register("explain", {
    description:
      "every input of a liquidation, oracle or funding decision at a height, as recorded by the state machine",
    params: {
      kind: oneOf(["liquidation", "oracle", "funding"] as const),
      height: height(),
      account: optional(address()),
      market: optional(market()),
    },
    handler: (p) => explain(source, p.kind, p.height, p.account, p.market),
  });
}

function explain(
  source: ExchangeSource,
  kind: ExplainKind,
  h: number,
  account: string | undefined,
  marketId: string | undefined,
) {
  if (account !== undefined && kind !== "liquidation") {
    throw invalidParams(`account: only with kind liquidation (${kind} is per market)`);
  }
  const latest = source.latestHeight();
  if (h > latest) throw invalidParams(`height: ${h} is above the latest height ${latest}`);
  const c = source.committed(h);
  if (!c) throw invalidParams(`height: ${h} is not stored on this node`);
  const all = explainRecordsOf(c, kind);
  let records = all;
  if (account !== undefined) records = records.filter((r) => r.key === account);
  if (marketId !== undefined) {
    if (kind === "funding") records = records.filter((r) => r.key === marketId);
    else if (kind === "liquidation")
      records = records.filter((r) => touchesMarket(r.data, marketId));
    else {
      records = records
        .map((r) => ({ ...r, data: oracleOfMarket(r.data, marketId) }))
        .filter((r) => hasMarkets(r.data));
    }
  }
  if (records.length === 0) {
    const who = [account && `account ${account}`, marketId && `market ${marketId}`]
      .filter(Boolean)
      .join(" and ");
    const field = account !== undefined ? "account" : marketId !== undefined ? "market" : "height";
    throw invalidParams(
      all.length > 0
        ? `${field}: no ${kind} record for ${who} at height ${h} (${all.length} other ${kind} record(s) there)`
        : `height: ${NOTHING[kind]} at height ${h}`,
    );
  }
  return { kind, height: h, time: isoTime(c.timeMs), records };
}

const NOTHING: Record<ExplainKind, string> = {
  liquidation: "no liquidation",
  oracle: "no oracle aggregation (the block carried no vote extensions)",
  funding: "no funding payment (funding settles once per funding interval)",
};

function touchesMarket(data: unknown, marketId: string): boolean {
  const steps = (data as { steps?: { market?: string }[] } | null)?.steps;
  return Array.isArray(steps) && steps.some((s) => s?.market === marketId);
}

/** The oracle record narrowed to one market's outcome (ignored votes stay: they are global). */
function oracleOfMarket(data: unknown, marketId: string): unknown {
  const d = data as { markets?: { market?: string }[] } | null;
  if (!d || !Array.isArray(d.markets)) return d;
  return { ...d, markets: d.markets.filter((m) => m?.market === marketId) };
}

function hasMarkets(data: unknown): boolean {
  return ((data as { markets?: unknown[] } | null)?.markets?.length ?? 0) > 0;
}
