/**
 * What the exchange topics and methods carry, derived from one committed height's
 * FinalizeBlock response (its events, as stored in block_results).
 *
 * Every function here is pure over the stored response, so a live notification and a
 * replayed one for the same height are computed by the same code from the same bytes: a
 * resuming client cannot tell them apart. The one exception is the book (`diffLevels`):
 * levels are state, not events, so the node diffs depth snapshots as it commits.
 */
import type { AppEvent, FinalizeBlockResponse } from "../../lib/abci.js";
import { toHex } from "../../lib/bytes.js";
import { formatUsdc } from "../../lib/fixed.js";

/** One committed height as the exchange RPC needs it. */
export interface CommittedHeight {
  readonly height: number;
  /** Block header time, Unix ms. */
  readonly timeMs: number;
  readonly hash: Uint8Array;
  readonly txs: number;
  readonly result: Pick<FinalizeBlockResponse, "txResults" | "events" | "appHash">;
}

export interface TradeView {
  market: string;
  height: number;
  time: string;
  price: string;
  size: string;
  /** The taker's side: "buy" lifted an ask, "sell" hit a bid. */
  side: string;
  maker: string;
  taker: string;
  makerOrderId: number;
  takerOrderId: number;
  /** USDC; negative is a rebate. */
  makerFee: string;
  /** USDC. */
  takerFee: string;
  /** The fill closed (part of) a position being liquidated. */
  liquidation: boolean;
}

export interface OrderUpdateView {
  market: string;
  owner: string;
  orderId: number;
  clientId: number;
  side: string;
  price: string;
  size: string;
  remaining: string;
  status: string;
  reason: string;
}

/** One height's changes concerning one account (the `account:<address>` topic). */
export interface AccountUpdate {
  address: string;
  height: number;
  time: string;
  /** Fills where the account is maker or taker, with its role. */
  fills: (TradeView & { role: "maker" | "taker" | "both" })[];
  orders: OrderUpdateView[];
  transfers: { from: string; to: string; amount: string }[];
  faucet: { to: string; amount: string }[];
  liquidations: LiquidationView[];
  deleverages: DeleverageView[];
}

export interface LiquidationView {
  market: string;
  account: string;
  size: string;
  limitPrice: string;
  /** USDC paid by the account to the insurance fund. */
  insuranceFee: string;
  /** USDC the insurance fund paid to cover a shortfall. */
  insurancePaid: string;
}

export interface DeleverageView {
  market: string;
  account: string;
  counterparty: string;
  size: string;
  price: string;
  /** USDC moved by the deleveraging fill. */
  quote: string;
}

export type Level = [price: string, size: string];

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** One attribute, without building the whole record (most events concern no subscriber). */
function attr(e: AppEvent, key: string): string {
  for (const a of e.attributes) if (a.key === key) return a.value;
  return "";
}

function attrs(e: AppEvent): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of e.attributes) out[a.key] = a.value;
  return out;
}

/**
 * Events in execution order: block-level events first (oracle, funding, triggers and
 * liquidations run before the transactions, block.ts steps 1-3; the final `block` event is
 * harmless here), then each transaction's events in block order. Transactions that failed
 * as a whole carry no events.
 */
export function* eventsInOrder(r: CommittedHeight["result"]): Iterable<AppEvent> {
  yield* r.events;
  for (const t of r.txResults) yield* t.events;
}

/** Event attributes carry USDC amounts as integer quantums (6 decimals). */
function usdc(quantums: string | undefined): string {
  return /^-?[0-9]+$/.test(quantums ?? "") ? formatUsdc(BigInt(quantums as string)) : "0";
}

function tradeOf(a: Record<string, string>, height: number, time: string): TradeView {
  return {
    market: a.market,
    height,
    time,
    price: a.price,
    size: a.size,
    side: a.takerSide,
    maker: a.maker,
    taker: a.taker,
    makerOrderId: Number(a.makerOrderId),
    takerOrderId: Number(a.takerOrderId),
    makerFee: usdc(a.makerFee),
    takerFee: usdc(a.takerFee),
    liquidation: a.liquidation === "true",
  };
}

function orderOf(a: Record<string, string>): OrderUpdateView {
  return {
    market: a.market,
    owner: a.owner,
    orderId: Number(a.orderId),
    clientId: Number(a.clientId),
    side: a.side,
    price: a.price,
    size: a.size,
    remaining: a.remaining,
    status: a.status,
    reason: a.reason ?? "",
  };
}

/** Every fill of the height, in execution order (optionally of one market). */
export function tradesOf(c: CommittedHeight, market?: string): TradeView[] {
  const time = isoTime(c.timeMs);
  const out: TradeView[] = [];
  for (const e of eventsInOrder(c.result)) {
    if (e.type !== "fill") continue;
    const a = attrs(e);
    if (market === undefined || a.market === market) out.push(tradeOf(a, c.height, time));
  }
  return out;
}

/** Fills grouped by market (the `trades:<market>` events of the height). */
export function tradesByMarket(c: CommittedHeight): Map<string, TradeView[]> {
  const out = new Map<string, TradeView[]>();
  for (const t of tradesOf(c)) {
    const list = out.get(t.market);
    if (list) list.push(t);
    else out.set(t.market, [t]);
  }
  return out;
}

/** The `blocks` topic's event data. */
export function blockSummary(c: CommittedHeight) {
  return {
    height: c.height,
    hash: toHex(c.hash).toUpperCase(),
    time: isoTime(c.timeMs),
    txs: c.txs,
    appHash: toHex(c.result.appHash).toUpperCase(),
  };
}

function emptyUpdate(address: string, height: number, time: string): AccountUpdate {
  return {
    address,
    height,
    time,
    fills: [],
    orders: [],
    transfers: [],
    faucet: [],
    liquidations: [],
    deleverages: [],
  };
}

/**
 * The `account:<address>` events of a height, for the addresses `wanted` accepts (the node
 * passes "has a subscriber", a replay passes one address). Addresses are lower-case hex as
 * the state machine writes them. Funding is per market (see `explain`), not per account.
 */
export function accountUpdatesOf(
  c: CommittedHeight,
  wanted: (address: string) => boolean,
): Map<string, AccountUpdate> {
  const time = isoTime(c.timeMs);
  const out = new Map<string, AccountUpdate>();
  const of = (address: string): AccountUpdate | undefined => {
    if (!address || !wanted(address)) return undefined;
    let u = out.get(address);
    if (!u) {
      u = emptyUpdate(address, c.height, time);
      out.set(address, u);
    }
    return u;
  };
  for (const e of eventsInOrder(c.result)) {
    switch (e.type) {
      case "fill": {
        if (!wanted(attr(e, "maker")) && !wanted(attr(e, "taker"))) break;
        const a = attrs(e);
        const t = tradeOf(a, c.height, time);
        if (a.maker === a.taker) {
          of(a.maker)?.fills.push({ ...t, role: "both" });
        } else {
          of(a.maker)?.fills.push({ ...t, role: "maker" });
          of(a.taker)?.fills.push({ ...t, role: "taker" });
        }
        break;
      }
      case "order": {
        if (!wanted(attr(e, "owner"))) break;
        const a = attrs(e);
        of(a.owner)?.orders.push(orderOf(a));
        break;
      }
      case "transfer": {
        const a = attrs(e);
        const t = { from: a.from, to: a.to, amount: a.amount };
        of(a.from)?.transfers.push(t);
        if (a.to !== a.from) of(a.to)?.transfers.push(t);
        break;
      }
      case "faucet": {
        const a = attrs(e);
        of(a.to)?.faucet.push({ to: a.to, amount: a.amount });
        break;
      }
      case "liquidation": {
        const a = attrs(e);
        of(a.account)?.liquidations.push({
          market: a.market,
          account: a.account,
          size: a.size,
          limitPrice: a.limitPrice,
          insuranceFee: usdc(a.insuranceFee),
          insurancePaid: usdc(a.insurancePaid),
        });
        break;
      }
      case "deleverage": {
        const a = attrs(e);
        const d: DeleverageView = {
          market: a.market,
          account: a.account,
          counterparty: a.counterparty,
          size: a.size,
          price: a.price,
          quote: usdc(a.quote),
        };
        of(a.account)?.deleverages.push(d);
        if (a.counterparty !== a.account) of(a.counterparty)?.deleverages.push(d);
        break;
      }
    }
  }
  return out;
}

export type ExplainKind = "liquidation" | "oracle" | "funding";

export interface ExplainRecord {
  kind: string;
  /** The account (liquidation), the market (funding) or "" (oracle, one per block). */
  key: string;
  /** The decision's full input and outcome, exactly as the state machine recorded it. */
  data: unknown;
}

/** The `explain` events of a height (block-level: oracle, funding, liquidation). */
export function explainRecordsOf(c: CommittedHeight, kind: ExplainKind): ExplainRecord[] {
  const out: ExplainRecord[] = [];
  for (const e of c.result.events) {
    if (e.type !== "explain") continue;
    const a = attrs(e);
    if (a.kind !== kind) continue;
    out.push({ kind: a.kind, key: a.key ?? "", data: JSON.parse(a.data ?? "null") });
  }
  return out;
}

/**
 * Levels of `next` that differ from `prev` (new or resized), then levels of `prev` missing
 * from `next` with size "0" (removed, or pushed out of the depth window). Prices are the
 * market's canonical decimal text, so string equality is price equality.
 */
export function diffLevels(prev: readonly Level[], next: readonly Level[]): Level[] {
  const before = new Map(prev.map(([p, s]) => [p, s]));
  const after = new Set<string>();
  const out: Level[] = [];
  for (const [p, s] of next) {
    after.add(p);
    if (before.get(p) !== s) out.push([p, s]);
  }
  for (const [p] of prev) if (!after.has(p)) out.push([p, "0"]);
  return out;
}
