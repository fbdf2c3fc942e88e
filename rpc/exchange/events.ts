/**
 * What the exchange topics and methods carry, derived from one committed height's
 * FinalizeBlock response (its events, as stored in block_results).
 *
 * Every function here is pure over the stored response, so a live notification and a
 * replayed one for the same height are computed by the same code from the same bytes: a
 * resuming client cannot tell them apart. Two things need state as well: the book
 * (`diffLevels`: levels are state, not events, so the node diffs depth snapshots as it
 * commits) and funding on `account:` (`fundingPaymentsOf`: the events give the index move,
 * the caller gives the positions held, which node/exchangeSource.ts derives exactly).
 */
import { type AppEvent, type FinalizeBlockResponse, isCompactEvent } from "../../lib/abci.js";
import { toHex } from "../../lib/bytes.js";
import {
  type DecimalUnit,
  formatDecimal,
  formatUsdc,
  fromUnits,
  toUnits,
} from "../../lib/fixed.js";

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
  /**
   * The fill's place in its height's execution order, 0-based and counted over every market
   * (so one market's trades may skip numbers): (height, blockSeq) identifies a trade.
   */
  blockSeq: number;
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
  /**
   * `book`: matched in the book (new and triggered orders); `liquidation`: a liquidation's
   * protocol order matched in the book; `deleverage`: auto-deleveraging, off-book at the
   * bankruptcy price (taker = the bankrupt account, maker = the counterparty, order ids 0,
   * no fees).
   */
  kind: "book" | "liquidation" | "deleverage";
  /** The fill closed (part of) a position being liquidated (kinds liquidation, deleverage). */
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
  /** Funding applied to the account's positions at this height (a funding boundary). */
  funding: FundingPaymentView[];
}

/**
 * One position's funding at one boundary (dYdX v4's indexer funding payments, Hyperliquid's
 * `userFundings`): what the interval's index move is worth to the position. Settlement into
 * the balance stays lazy (docs/risk.md): the balance moves when the position next settles,
 * by the floor of everything accrued since, so the sum of these amounts and the settled
 * amount differ by less than 1 quantum (10⁻⁶ USDC) per settlement, against the account.
 */
export interface FundingPaymentView {
  market: string;
  /** The position's signed size when funding was applied: the start of the height. */
  size: string;
  /** The rate applied, a fraction of the position's notional (positive: longs pay shorts). */
  rate: string;
  /** The oracle price the rate was applied at. */
  price: string;
  /**
   * USDC received (negative: paid), exact: −sizeLots × (indexAfter − indexBefore) / 10⁶
   * quantums (docs/risk.md, Settlement), so up to 12 decimals.
   */
  amount: string;
}

/** A market's units, to read sizes as lots and write prices (from the `markets` params). */
export interface MarketUnits {
  readonly tickSize: DecimalUnit;
  readonly stepSize: DecimalUnit;
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
  if (isCompactEvent(e)) {
    const i = e.keys.indexOf(key);
    return i < 0 ? "" : e.value(i);
  }
  for (const a of e.attributes) if (a.key === key) return a.value;
  return "";
}

function attrs(e: AppEvent): Record<string, string> {
  const out: Record<string, string> = {};
  if (isCompactEvent(e)) {
    const keys = e.keys;
    for (let i = 0; i < keys.length; i++) out[keys[i]] = e.value(i);
    return out;
  }
  for (const a of e.attributes) out[a.key] = a.value;
  return out;
}

/**
 * Events in execution order. Block-level events come first: oracle, funding, expiry and
 * triggers, liquidations and deleveraging run before the transactions (block.ts steps 1-3)
 * and emit in that order; the final `block` event is harmless here. Then each transaction's
 * events in block order. Transactions that failed as a whole carry no events.
 *
 * For fills this is exactly the order they executed: the state machine runs a block's
 * messages class by class (transfers, then cancels, then orders), each class in block order,
 * and only orders fill, so the fills of transaction i all execute before those of
 * transaction i + 1, in the order each transaction's events list them. (An order update of a
 * cancel can precede, in execution, another transaction's earlier-listed fills.)
 */
export function* eventsInOrder(r: CommittedHeight["result"]): Iterable<AppEvent> {
  yield* r.events;
  for (const t of r.txResults) yield* t.events;
}

/** Event attributes carry USDC amounts as integer quantums (6 decimals). */
function usdc(quantums: string | undefined): string {
  return /^-?[0-9]+$/.test(quantums ?? "") ? formatUsdc(BigInt(quantums as string)) : "0";
}

function tradeOf(
  a: Record<string, string>,
  height: number,
  blockSeq: number,
  time: string,
): TradeView {
  const liquidation = a.liquidation === "true";
  return {
    market: a.market,
    height,
    blockSeq,
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
    kind: liquidation ? "liquidation" : "book",
    liquidation,
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

/**
 * The side a deleveraged (bankrupt) account closed on, per `account market`, from the
 * height's liquidation records: a long closes by selling. Needed only for `deleverage`
 * events written before they carried a `side` attribute. The record's `positionLots` is the
 * position before its liquidation step, whose sign the step cannot flip (it only reduces).
 */
function deleverageSides(c: CommittedHeight): Map<string, "buy" | "sell"> {
  const out = new Map<string, "buy" | "sell">();
  for (const r of explainRecordsOf(c, "liquidation")) {
    const rec = r.data as { account?: string; steps?: { market: string; positionLots: string }[] };
    for (const step of rec.steps ?? []) {
      out.set(`${rec.account} ${step.market}`, BigInt(step.positionLots) > 0n ? "sell" : "buy");
    }
  }
  return out;
}

/** The side the bankrupt account of a `deleverage` event traded on (see deleverageSides). */
function deleveragedSide(
  c: CommittedHeight,
  e: AppEvent,
  sides: { map?: Map<string, "buy" | "sell"> },
): "buy" | "sell" {
  const own = attr(e, "side");
  if (own === "buy" || own === "sell") return own;
  sides.map ??= deleverageSides(c);
  const known = sides.map.get(`${attr(e, "account")} ${attr(e, "market")}`);
  if (known) return known;
  // No record (not written by this state machine): a long's close always receives quote.
  return BigInt(attr(e, "quote") || "0") > 0n ? "sell" : "buy";
}

/** A `deleverage` event as a trade: the bankrupt account takes, no order ids, no fees. */
function deleverageTradeOf(
  a: Record<string, string>,
  side: "buy" | "sell",
  height: number,
  blockSeq: number,
  time: string,
): TradeView {
  const fill = {
    market: a.market,
    maker: a.counterparty,
    taker: a.account,
    makerOrderId: "0",
    takerOrderId: "0",
    takerSide: side,
    price: a.price,
    size: a.size,
    makerFee: "0",
    takerFee: "0",
    liquidation: "true",
  };
  return { ...tradeOf(fill, height, blockSeq, time), kind: "deleverage" };
}

/**
 * Every fill of the height (book fills and deleveraging) in execution order, with its
 * blockSeq; `want` filters before a view is built (most fills concern no subscriber).
 */
function* fillsOf(c: CommittedHeight, want: (e: AppEvent) => boolean): Iterable<TradeView> {
  const time = isoTime(c.timeMs);
  const sides: { map?: Map<string, "buy" | "sell"> } = {};
  let seq = 0;
  for (const e of eventsInOrder(c.result)) {
    if (e.type === "fill") {
      const n = seq++;
      if (want(e)) yield tradeOf(attrs(e), c.height, n, time);
    } else if (e.type === "deleverage") {
      const n = seq++;
      if (want(e))
        yield deleverageTradeOf(attrs(e), deleveragedSide(c, e, sides), c.height, n, time);
    }
  }
}

/** Every fill of the height, in execution order (optionally of one market). */
export function tradesOf(c: CommittedHeight, market?: string): TradeView[] {
  const want = market === undefined ? () => true : (e: AppEvent) => attr(e, "market") === market;
  return [...fillsOf(c, want)];
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
    funding: [],
  };
}

/**
 * The `account:<address>` events of a height, for the addresses `wanted` accepts (the node
 * passes "has a subscriber", a replay passes one address). Addresses are lower-case hex as
 * the state machine writes them. Fills (deleveraging included) are in execution order with
 * their blockSeq, as on `trades:`. Funding is not in the events (it settles lazily): the
 * caller derives it with `fundingPaymentsOf` and passes it by address.
 */
export function accountUpdatesOf(
  c: CommittedHeight,
  wanted: (address: string) => boolean,
  funding?: ReadonlyMap<string, readonly FundingPaymentView[]>,
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
  const fill = (t: TradeView): void => {
    if (t.maker === t.taker) {
      of(t.maker)?.fills.push({ ...t, role: "both" });
    } else {
      of(t.maker)?.fills.push({ ...t, role: "maker" });
      of(t.taker)?.fills.push({ ...t, role: "taker" });
    }
  };
  for (const [address, payments] of funding ?? []) {
    if (payments.length > 0) of(address)?.funding.push(...payments);
  }
  const sides: { map?: Map<string, "buy" | "sell"> } = {};
  let seq = 0;
  for (const e of eventsInOrder(c.result)) {
    switch (e.type) {
      case "fill": {
        const n = seq++;
        if (!wanted(attr(e, "maker")) && !wanted(attr(e, "taker"))) break;
        fill(tradeOf(attrs(e), c.height, n, time));
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
        const n = seq++;
        if (!wanted(attr(e, "account")) && !wanted(attr(e, "counterparty"))) break;
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
        fill(deleverageTradeOf(a, deleveragedSide(c, e, sides), c.height, n, time));
        break;
      }
    }
  }
  return out;
}

/** A funding boundary of one market at a height, from its `explain` record. */
export interface FundingTick {
  readonly market: string;
  readonly ratePpm: bigint;
  readonly oraclePriceTicks: bigint;
  readonly indexBefore: bigint;
  readonly indexAfter: bigint;
}

/** The funding boundaries crossed at this height (none in most heights). */
export function fundingTicksOf(c: CommittedHeight): FundingTick[] {
  const out: FundingTick[] = [];
  for (const r of explainRecordsOf(c, "funding")) {
    const d = r.data as Record<string, string>;
    out.push({
      market: d.market,
      ratePpm: BigInt(d.ratePpm),
      oraclePriceTicks: BigInt(d.oraclePriceTicks),
      indexBefore: BigInt(d.indexBefore),
      indexAfter: BigInt(d.indexAfter),
    });
  }
  return out;
}

/**
 * How the height's fills changed `address`'s positions, in signed lots per market (markets
 * without units are left out). Positions change only by fills and deleveraging, so the
 * position at the start of a height is the one after it minus these.
 */
export function positionDeltasOf(
  c: CommittedHeight,
  address: string,
  units: ReadonlyMap<string, MarketUnits>,
): Map<string, bigint> {
  const out = new Map<string, bigint>();
  const add = (market: string, size: string, sign: bigint): void => {
    const u = units.get(market);
    if (!u) return;
    out.set(market, (out.get(market) ?? 0n) + sign * toUnits(size, u.stepSize));
  };
  const sides: { map?: Map<string, "buy" | "sell"> } = {};
  for (const e of eventsInOrder(c.result)) {
    if (e.type === "fill") {
      const maker = attr(e, "maker");
      const taker = attr(e, "taker");
      if (maker === taker || (maker !== address && taker !== address)) continue;
      const buys = attr(e, "takerSide") === "buy";
      add(attr(e, "market"), attr(e, "size"), (taker === address) === buys ? 1n : -1n);
    } else if (e.type === "deleverage") {
      const account = attr(e, "account");
      const counterparty = attr(e, "counterparty");
      if (account !== address && counterparty !== address) continue;
      const buys = deleveragedSide(c, e, sides) === "buy";
      add(attr(e, "market"), attr(e, "size"), (account === address) === buys ? 1n : -1n);
    }
  }
  return out;
}

/*
 * Per position and boundary (docs/risk.md, Settlement):
 *   exact = −sizeLots × (indexAfter − indexBefore)      quantums × 10⁶, > 0 received
 * written as USDC with 12 decimals (10⁻⁶ quantums), without rounding.
 */
export function fundingPaymentsOf(
  ticks: readonly FundingTick[],
  sizeLots: ReadonlyMap<string, bigint>,
  units: ReadonlyMap<string, MarketUnits>,
): FundingPaymentView[] {
  const out: FundingPaymentView[] = [];
  for (const t of ticks) {
    const lots = sizeLots.get(t.market) ?? 0n;
    const u = units.get(t.market);
    if (lots === 0n || !u) continue;
    out.push({
      market: t.market,
      size: fromUnits(lots, u.stepSize),
      rate: formatDecimal(t.ratePpm, 6),
      price: fromUnits(t.oraclePriceTicks, u.tickSize),
      amount: formatDecimal(-lots * (t.indexAfter - t.indexBefore), 12),
    });
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
