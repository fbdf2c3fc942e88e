/**
 * `perpetua query status|block|account|book|trades|markets|oracle|explain`: reads from a
 * node over JSON-RPC. Aligned tables by default (the book as a depth ladder, explain records
 * as field/value tables with dotted keys), --json for the node's result as is.
 */
import { parseAddress } from "../../lib/address.js";
import type { PerpetuaClient } from "../../rpc/client/client.js";
import type { ExplainKind, OrderBook } from "../../rpc/client/types.js";
import type { ExplainRecord } from "../../rpc/exchange/events.js";
import { type Args, CliError, int, only, str, table } from "../args.js";
import { homeOf, readKeystore } from "../keys/keystore.js";
import { addDecimal, clientOf, json, withClientErrors } from "./common.js";

const USAGE = `usage: perpetua query <what> [flags]
  query status                          chain id, height, sync state
  query block [--height H]              a block (latest by default)
  query account ADDRESS|--key NAME      collateral, margin, positions, open orders
  query book MARKET [--depth N]         the order book as a depth ladder
  query trades MARKET [--limit N]       recent fills, newest first
  query markets                         market parameters, oracle and mark price, funding
  query oracle                          oracle prices
  query explain --kind liquidation|oracle|funding --height H [--account A | --market M]
common: --node URL (default http://127.0.0.1:26657), --json`;

export async function run(args: Args): Promise<void> {
  const [sub, target, ...extra] = args.positionals;
  if (sub === undefined || sub === "help" || args.flags.has("help")) {
    if (sub === undefined && !args.flags.has("help"))
      throw new CliError(
        "missing subcommand: perpetua query status|block|account|book|trades|markets|oracle|explain (perpetua query help)",
      );
    console.log(USAGE);
    return;
  }
  if (extra.length > 0) throw new CliError(`unexpected argument "${extra[0]}"`);
  const base = ["node", "json", "home"];
  const client = (): PerpetuaClient => clientOf(args);
  switch (sub) {
    case "status":
      only(args, base);
      noTarget(sub, target);
      return withClientErrors(() => status(args, client()));
    case "block":
      only(args, [...base, "height"]);
      noTarget(sub, target);
      return withClientErrors(() => block(args, client()));
    case "account":
      only(args, [...base, "key", "home"]);
      return withClientErrors(async () => account(args, client(), await addressOf(args, target)));
    case "book":
      only(args, [...base, "depth"]);
      return withClientErrors(() => book(args, client(), need(sub, target)));
    case "trades":
      only(args, [...base, "limit"]);
      return withClientErrors(() => trades(args, client(), need(sub, target)));
    case "markets":
      only(args, base);
      noTarget(sub, target);
      return withClientErrors(() => markets(args, client()));
    case "oracle":
      only(args, base);
      noTarget(sub, target);
      return withClientErrors(() => oracle(args, client()));
    case "explain":
      only(args, [...base, "kind", "height", "account", "market"]);
      noTarget(sub, target);
      return withClientErrors(() => explain(args, client()));
    default:
      throw new CliError(
        `unknown subcommand "query ${sub}" (status, block, account, book, trades, markets, oracle, explain)`,
      );
  }
}

function need(sub: string, target: string | undefined): string {
  if (!target) throw new CliError(`missing MARKET: perpetua query ${sub} BTC-USD`);
  return target.toUpperCase();
}

function noTarget(sub: string, target: string | undefined): void {
  if (target !== undefined) throw new CliError(`query ${sub} takes no argument (got "${target}")`);
}

async function addressOf(args: Args, target: string | undefined): Promise<string> {
  if (args.flags.has("key")) {
    if (target !== undefined) throw new CliError("give ADDRESS or --key NAME, not both");
    return (await readKeystore(homeOf(args), str(args, "key"))).address;
  }
  if (!target) throw new CliError("missing ADDRESS: perpetua query account 0x... (or --key NAME)");
  try {
    return parseAddress(target, "ADDRESS");
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

function kv(rows: [string, unknown][]): string {
  return table(rows.map(([k, v]) => [k, v === null || v === undefined ? "-" : String(v)]));
}

async function status(args: Args, c: PerpetuaClient): Promise<void> {
  const s = await c.status();
  if (json(args)) return console.log(JSON.stringify(s));
  console.log(
    kv([
      ["chain", s.node_info.network],
      ["node", `${s.node_info.moniker} (${s.node_info.id})`],
      ["version", s.node_info.version],
      ["height", s.sync_info.latest_block_height],
      ["time", s.sync_info.latest_block_time],
      ["block hash", s.sync_info.latest_block_hash],
      ["app hash", s.sync_info.latest_app_hash],
      ["catching up", s.sync_info.catching_up],
      ["validator", `${s.validator_info.address} power ${s.validator_info.voting_power}`],
    ]),
  );
}

async function block(args: Args, c: PerpetuaClient): Promise<void> {
  const h = args.flags.has("height") ? int(args, "height", 0, 1) : undefined;
  const b = await c.block(h);
  if (json(args)) return console.log(JSON.stringify(b));
  const hd = b.block.header;
  console.log(
    kv([
      ["height", hd.height],
      ["time", hd.time],
      ["hash", b.block_id.hash],
      ["proposer", hd.proposer_address],
      ["txs", b.block.data.txs.length],
      ["app hash", hd.app_hash],
      ["last commit", `${b.block.last_commit.signatures.length} signatures`],
    ]),
  );
}

async function account(args: Args, c: PerpetuaClient, address: string): Promise<void> {
  const a = await c.account(address);
  if (json(args)) return console.log(JSON.stringify(a));
  console.log(
    kv([
      ["address", a.address],
      ["height", a.height],
      ["collateral", a.collateral],
      ["equity", a.equity],
      ["free collateral", a.freeCollateral],
      ["initial margin", a.initialMargin],
      ["maintenance margin", a.maintenanceMargin],
      ["liquidatable", a.exists ? a.liquidatable : false],
    ]),
  );
  console.log();
  if (a.positions.length === 0) console.log("positions: none");
  else
    console.log(
      table(
        a.positions.map((p) => [
          p.market,
          p.side,
          p.size,
          p.entryPrice,
          p.oraclePrice,
          p.unrealizedPnl,
          p.liquidationPrice ?? "-",
        ]),
        ["market", "side", "size", "entry", "oracle", "unrealized pnl", "liquidation"],
      ),
    );
  console.log();
  if (a.openOrders.length === 0) console.log("open orders: none");
  else
    console.log(
      table(
        a.openOrders.map((o) => [
          o.market,
          String(o.orderId),
          String(o.clientId),
          o.side,
          o.type,
          o.price,
          o.size,
          o.remaining,
          o.tif,
          o.status,
        ]),
        [
          "market",
          "order",
          "client",
          "side",
          "type",
          "price",
          "size",
          "remaining",
          "tif",
          "status",
        ],
      ),
    );
}

/**
 * The depth ladder: asks above (best ask at the bottom of them), bids below (best bid on
 * top), totals accumulating away from the spread, numbers right-aligned.
 */
export function ladder(b: OrderBook): string {
  const cum = (levels: readonly (readonly [string, string])[]) => {
    let t = "0";
    return levels.map(([p, s]) => {
      t = addDecimal(t, s);
      return [p, s, t] as const;
    });
  };
  const asks = cum(b.asks as [string, string][]).reverse();
  const bids = cum(b.bids as [string, string][]);
  const rows = [
    ...asks.map(([p, s, t]) => ["ask", p, s, t]),
    ...bids.map(([p, s, t]) => ["bid", p, s, t]),
  ];
  const head = ["", "price", "size", "total"];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: readonly string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  const out = [`${b.market} at height ${b.height}`, fmt(head)];
  for (const r of rows.slice(0, asks.length)) out.push(fmt(r));
  const bestBid = bids[0]?.[0];
  const bestAsk = asks[asks.length - 1]?.[0];
  const spread =
    bestBid && bestAsk ? `spread ${addDecimal(bestAsk, `-${bestBid}`)}` : "one-sided book";
  if (asks.length === 0 && bids.length === 0) out.push("(empty book)");
  else out.push(`${"-".repeat(4)} ${spread} ${"-".repeat(4)}`);
  for (const r of rows.slice(asks.length)) out.push(fmt(r));
  return out.join("\n");
}

async function book(args: Args, c: PerpetuaClient, market: string): Promise<void> {
  const b = await c.orderbook(market, int(args, "depth", 10, 1, 500));
  if (json(args)) return console.log(JSON.stringify(b));
  console.log(ladder(b));
}

async function trades(args: Args, c: PerpetuaClient, market: string): Promise<void> {
  const r = await c.trades(market, int(args, "limit", 20, 1, 1000));
  if (json(args)) return console.log(JSON.stringify(r));
  if (r.trades.length === 0) return console.log(`no trades in ${market} yet`);
  console.log(
    table(
      r.trades.map((t) => [
        String(t.height),
        t.time,
        t.side,
        t.price,
        t.size,
        t.maker,
        t.liquidation ? `${t.taker} (liquidation)` : t.taker,
      ]),
      ["height", "time", "taker side", "price", "size", "maker", "taker"],
    ),
  );
}

async function markets(args: Args, c: PerpetuaClient): Promise<void> {
  const r = await c.markets();
  if (json(args)) return console.log(JSON.stringify(r));
  console.log(
    table(
      r.markets.map((m) => [
        m.id,
        m.oraclePrice,
        m.markPrice,
        m.bestBid ?? "-",
        m.bestAsk ?? "-",
        m.fundingRate,
        m.openInterest,
        m.tickSize,
        m.stepSize,
        m.initialMarginFraction,
        `${m.makerFee}/${m.takerFee}`,
      ]),
      [
        "market",
        "oracle",
        "mark",
        "bid",
        "ask",
        "funding/h",
        "open interest",
        "tick",
        "step",
        "imf",
        "maker/taker fee",
      ],
    ),
  );
}

async function oracle(args: Args, c: PerpetuaClient): Promise<void> {
  const r = await c.oraclePrices();
  if (json(args)) return console.log(JSON.stringify(r));
  console.log(
    table(
      r.prices.map((p) => [p.market, p.price, String(p.height), p.stale ? "STALE" : "fresh"]),
      ["market", "price", "set at height", "state"],
    ),
  );
}

/** What the `explain` method answers (rpc/exchange/routes.ts). */
export interface ExplainResult {
  kind: string;
  height: number;
  time: string;
  records: ExplainRecord[];
}

/**
 * A JSON value as field/value rows: nested objects flattened with dotted keys, elements of
 * arrays of objects indexed (`steps[0].market`), arrays of scalars joined on one row; null
 * and "" as "-", an empty array or object as "none".
 */
export function fieldRows(value: unknown, path = ""): [string, string][] {
  if (Array.isArray(value)) {
    if (value.length === 0) return [[path, "none"]];
    if (value.every(isScalar)) return [[path, value.map(scalarText).join(", ")]];
    return value.flatMap((v, i) => fieldRows(v, `${path}[${i}]`));
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 0) return [[path, "none"]];
    return entries.flatMap(([k, v]) => fieldRows(v, path === "" ? k : `${path}.${k}`));
  }
  return [[path, scalarText(value)]];
}

function isScalar(v: unknown): boolean {
  return v === null || typeof v !== "object";
}

function scalarText(v: unknown): string {
  return v === null || v === undefined || v === "" ? "-" : String(v);
}

/** The human `query explain`: a title, then each record as a field/value table. */
export function explainText(r: ExplainResult): string {
  const n = r.records.length;
  const out = [`${r.kind} at height ${r.height} (${r.time}): ${n} record${n === 1 ? "" : "s"}`];
  for (const [i, rec] of r.records.entries()) {
    const rows = fieldRows(rec.data).map(([k, v]): [string, string] => [k || "data", v]);
    out.push("", `record ${i + 1}: ${rec.kind}${rec.key ? ` ${rec.key}` : ""}`);
    out.push(table(rows, ["field", "value"]));
  }
  return out.join("\n");
}

async function explain(args: Args, c: PerpetuaClient): Promise<void> {
  const kind = str(args, "kind");
  if (!["liquidation", "oracle", "funding"].includes(kind))
    throw new CliError(`--kind: expected liquidation | oracle | funding, got "${kind}"`);
  const height = int(args, "height", 0, 1);
  if (!args.flags.has("height")) throw new CliError("missing --height");
  const r = await c.explain({
    kind: kind as ExplainKind,
    height,
    account: args.flags.has("account") ? str(args, "account") : undefined,
    market: args.flags.has("market") ? str(args, "market") : undefined,
  });
  if (json(args)) return console.log(JSON.stringify(r));
  console.log(explainText(r as unknown as ExplainResult));
}
