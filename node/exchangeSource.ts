/**
 * The node's side of the exchange RPC (rpc/exchange): reads of the application, committed
 * heights from the block store, a ring of recent fills per market, and the exchange topics
 * (`blocks`, `trades:<m>`, `book:<m>`, `account:<a>`) with their resumption.
 *
 * Publication contract (rpc/subscriptions.ts): `onCommit` runs after the block and its
 * FinalizeBlock results are stored, heights in order. Trades, account and block events are
 * pure functions of the stored results (rpc/exchange/events.ts), so `replay` recomputes
 * exactly what was published live. Book diffs are differences of depth snapshots, which the
 * store does not keep: they are kept in memory for the replay window; a resumption from
 * before what memory covers (e.g. after a node restart) starts with a fresh snapshot.
 *
 * Funding on `account:<a>` is the one part that needs state: the results say when a market's
 * index moved and by how much, not who held a position then. Positions change only through
 * fills, so the position at the start of height h is the current one (an `account` query at
 * height S) minus every fill of the account in heights h..S. That is exact, live or replayed.
 */
import { type Block, blockHash } from "../consensus/types/block.js";
import type { FinalizeBlockResponse, QueryRequest, QueryResponse } from "../lib/abci.js";
import { toBase64, toHex } from "../lib/bytes.js";
import { ErrorCode, PerpetuaError } from "../lib/errors.js";
import { parseUnit, toUnits } from "../lib/fixed.js";
import {
  accountUpdatesOf,
  blockSummary,
  type CommittedHeight,
  diffLevels,
  type FundingPaymentView,
  fundingPaymentsOf,
  fundingTicksOf,
  type Level,
  type MarketUnits,
  positionDeltasOf,
  type TradeView,
  tradesByMarket,
  tradesOf,
} from "../rpc/exchange/events.js";
import type { AccountProofJson, ExchangeSource } from "../rpc/exchange/routes.js";
import type { Logger } from "../rpc/logger.js";
import type { HubEvent, ReplaySource, SubscriptionHub } from "../rpc/subscriptions.js";
import type { PerpetuaApp } from "../state/app.js";
import { encodeProof } from "../state/store/proof.js";
import type { ProvenValue } from "../state/store/store.js";
import type { NodeBlockStore } from "./blockStore.js";

export interface ExchangeSourceOptions {
  /** Heights a subscription can resume from (and that seed the trades ring at start). */
  replayHeights: number;
  /** Fills kept per market for `trades`. */
  tradesPerMarket: number;
  /** Levels per side the `book:` topic tracks. */
  bookDepth: number;
}

export const DEFAULT_EXCHANGE_SOURCE_OPTIONS: ExchangeSourceOptions = {
  replayHeights: 1000,
  tradesPerMarket: 1000,
  bookDepth: 50,
};

interface BookSide {
  bids: Level[];
  asks: Level[];
}

interface BookState {
  /** Depth at `height` (the last published height). */
  height: number;
  depth: BookSide;
  /** Diff events kept for replay, ascending heights. */
  diffs: HubEvent[];
  /** Every diff above this height is in `diffs` (or the height had no change). */
  coveredAbove: number;
}

interface OrderbookValue {
  height: number;
  bids: Level[];
  asks: Level[];
}

/** An account's positions (signed lots per market) after `height`. */
interface PositionsAt {
  height: number;
  sizes: Map<string, bigint>;
}

/** How long a reader waits for the results of a height the application already applied. */
const RESULTS_WAIT_MS = 5_000;

export class NodeExchangeSource implements ExchangeSource, ReplaySource {
  private readonly opts: ExchangeSourceOptions;
  private readonly recentTrades = new Map<string, TradeView[]>();
  private readonly books = new Map<string, BookState>();
  private markets: string[] = [];
  private readonly units = new Map<string, MarketUnits>();
  /**
   * Addresses subscribed on `account:` (learned in `check`, which every subscription passes),
   * with the height they were added at; dropped once they have no subscriber.
   */
  private readonly watched = new Map<string, number>();
  /** Publications run in commit order, each after its depth snapshots were taken. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      app: Pick<PerpetuaApp, "query" | "info">;
      blocks: Pick<NodeBlockStore, "height" | "load" | "loadFinalizeResult" | "hasFinalizeResult">;
      logger: Logger;
    },
    opts: Partial<ExchangeSourceOptions> = {},
  ) {
    this.opts = { ...DEFAULT_EXCHANGE_SOURCE_OPTIONS, ...opts };
  }

  /** Loads the market list and book depths, and refills the trades ring from the store. */
  async start(): Promise<void> {
    const r = await this.deps.app.query({ path: "markets", params: {}, prove: false });
    const markets = r.value as { id: string; tickSize?: string; stepSize?: string }[];
    this.markets = markets.map((m) => m.id);
    for (const m of markets) {
      if (m.tickSize === undefined || m.stepSize === undefined) continue;
      this.units.set(m.id, { tickSize: parseUnit(m.tickSize), stepSize: parseUnit(m.stepSize) });
    }
    for (const id of this.markets) {
      this.recentTrades.set(id, []);
      const v = await this.depthOf(id);
      this.books.set(id, { height: v.height, depth: v, diffs: [], coveredAbove: v.height });
    }
    // Up to the application's height, not the store's: stored blocks the application has
    // not applied yet are replayed by the driver through onCommit, which records them.
    const tip = Math.min(this.deps.app.info().height, this.deps.blocks.height());
    for (let h = Math.max(1, tip - this.opts.replayHeights + 1); h <= tip; h++) {
      const c = this.committed(h);
      if (c) this.remember(tradesOf(c));
    }
  }

  // --- ExchangeSource ------------------------------------------------------------------

  async query(req: QueryRequest): Promise<QueryResponse> {
    // The view is read at once, the proof after waiting for the store's lock: a block
    // finalized in between makes them disagree. Ask again (rarely needed more than once);
    // the proof carries its own height, so a last mismatch is still verifiable.
    for (let attempt = 1; ; attempt++) {
      const r = await this.deps.app.query(req);
      if (!req.prove || r.proof === undefined) return r;
      const p = r.proof as ProvenValue & { key: Uint8Array };
      if (p.version - 1 === r.height || attempt === 3) return { ...r, proof: proofJson(p) };
    }
  }

  /** The last height whose results are stored (a block is stored before it is executed). */
  latestHeight(): number {
    const h = this.deps.blocks.height();
    return h > 0 && !this.deps.blocks.hasFinalizeResult(h) ? h - 1 : h;
  }

  committed(height: number): CommittedHeight | undefined {
    const stored = this.deps.blocks.load(height);
    const result = this.deps.blocks.loadFinalizeResult(height);
    if (!stored || !result) return undefined;
    return committedOf(stored.block, result);
  }

  trades(market: string, limit: number): TradeView[] | undefined {
    const ring = this.recentTrades.get(market);
    if (!ring) return undefined;
    return ring.slice(-limit).reverse();
  }

  // --- publication ---------------------------------------------------------------------

  /** After `block` and `result` are stored: updates the rings and publishes the topics. */
  onCommit(hub: SubscriptionHub, block: Block, result: FinalizeBlockResponse): void {
    const c = committedOf(block, result);
    // The depth queries read the state synchronously now, before a later block changes it.
    const depths = this.markets.map((id) => [id, this.depthOf(id)] as const);
    // So do the positions of subscribed accounts at a funding boundary (rare: once an interval).
    const watched = this.watched.size > 0 ? this.watchedAccounts(hub, c.height) : [];
    const ticks = watched.length > 0 ? fundingTicksOf(c) : [];
    const positions = ticks.length > 0 ? watched.map((a) => [a, this.positionsOf(a)] as const) : [];
    this.chain = this.chain
      .then(async () => {
        const books = await Promise.all(depths.map(async ([id, p]) => [id, await p] as const));
        const funding = new Map<string, FundingPaymentView[]>();
        for (const [a, p] of positions) {
          const sizes = await this.sizesAtStartOf(c.height, a, await p);
          funding.set(a, fundingPaymentsOf(ticks, sizes, this.units));
        }
        this.publish(hub, c, books, funding);
      })
      .catch((err) => this.deps.logger.error({ err, height: c.height }, "exchange publish failed"));
  }

  /** Waits for publications queued so far (tests, shutdown). */
  settled(): Promise<void> {
    return this.chain;
  }

  private publish(
    hub: SubscriptionHub,
    c: CommittedHeight,
    books: readonly (readonly [string, OrderbookValue])[],
    funding: ReadonlyMap<string, FundingPaymentView[]>,
  ): void {
    const byMarket = tradesByMarket(c);
    for (const list of byMarket.values()) this.remember(list);
    if (hub.hasSubscribers("blocks"))
      hub.publish("blocks", { height: c.height, data: blockSummary(c) });
    for (const [id, trades] of byMarket) {
      const topic = `trades:${id}`;
      if (hub.hasSubscribers(topic)) hub.publish(topic, { height: c.height, data: trades });
    }
    for (const [id, v] of books) {
      const ev = this.advanceBook(id, c.height, v);
      if (ev) hub.publish(`book:${id}`, ev);
    }
    // Nobody subscribed to anything (the common case under load): skip the per-event scan.
    if (hub.size === 0) return;
    const updates = accountUpdatesOf(c, (a) => hub.hasSubscribers(`account:${a}`), funding);
    for (const [a, u] of updates) hub.publish(`account:${a}`, { height: c.height, data: u });
  }

  /** Subscribed addresses; forgets those without a subscriber since before `height` - 1. */
  private watchedAccounts(hub: SubscriptionHub, height: number): string[] {
    const out: string[] = [];
    for (const [a, since] of this.watched) {
      if (hub.hasSubscribers(`account:${a}`)) out.push(a);
      // The grace of a height covers a subscription checked but not yet registered.
      else if (since < height - 1) this.watched.delete(a);
    }
    return out;
  }

  /** The account's positions now (the query reads the state synchronously when called). */
  private async positionsOf(address: string): Promise<PositionsAt> {
    const r = await this.deps.app.query({ path: "account", params: { address }, prove: false });
    const v = r.value as { positions?: { market: string; size: string }[] } | null;
    const sizes = new Map<string, bigint>();
    for (const p of v?.positions ?? []) {
      const u = this.units.get(p.market);
      if (u) sizes.set(p.market, toUnits(p.size, u.stepSize, { signed: true }));
    }
    return { height: r.height, sizes };
  }

  /**
   * The account's positions at the start of `height` (when funding applies, before any fill
   * of the height): `at` with the fills of heights height..at.height taken back out.
   */
  private async sizesAtStartOf(
    height: number,
    address: string,
    at: PositionsAt,
  ): Promise<Map<string, bigint>> {
    const sizes = new Map(at.sizes);
    for (let h = height; h <= at.height; h++) {
      addDeltas(sizes, positionDeltasOf(await this.committedSoon(h), address, this.units), -1n);
    }
    // (A state older than `height`, which the node's order of events rules out, rolls forward.)
    for (let h = at.height + 1; h < height; h++) {
      addDeltas(sizes, positionDeltasOf(await this.committedSoon(h), address, this.units), 1n);
    }
    return sizes;
  }

  /**
   * A height the application has applied: its results are stored right after finalizeBlock,
   * so a reader that saw the state first may wait a moment for them.
   */
  private async committedSoon(height: number): Promise<CommittedHeight> {
    for (let waited = 0; ; waited += 5) {
      const c = this.committed(height);
      if (c) return c;
      if (waited >= RESULTS_WAIT_MS) throw new Error(`results of height ${height} not stored`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private advanceBook(id: string, height: number, v: OrderbookValue): HubEvent | undefined {
    const b = this.books.get(id);
    if (!b) return undefined;
    const keepAbove = height - this.opts.replayHeights;
    while (b.diffs.length > 0 && b.diffs[0].height <= keepAbove) {
      b.coveredAbove = b.diffs.shift()!.height;
    }
    if (b.coveredAbove < keepAbove) b.coveredAbove = keepAbove;
    if (v.height !== height) {
      // The state is not at the committed height (should not happen): restart coverage
      // rather than publish a diff against the wrong base.
      this.deps.logger.warn({ market: id, height, stateHeight: v.height }, "book out of step");
      b.depth = v;
      b.height = v.height;
      b.diffs = [];
      b.coveredAbove = v.height;
      return undefined;
    }
    const bids = diffLevels(b.depth.bids, v.bids);
    const asks = diffLevels(b.depth.asks, v.asks);
    b.depth = v;
    b.height = height;
    if (bids.length === 0 && asks.length === 0) return undefined;
    const ev: HubEvent = { height, data: { type: "diff", market: id, height, bids, asks } };
    b.diffs.push(ev);
    return ev;
  }

  private remember(trades: readonly TradeView[]): void {
    for (const t of trades) {
      let ring = this.recentTrades.get(t.market);
      if (!ring) {
        ring = [];
        this.recentTrades.set(t.market, ring);
      }
      ring.push(t);
      // Trim in chunks: amortized O(1) per fill instead of a shift per fill.
      if (ring.length > 2 * this.opts.tradesPerMarket) {
        ring.splice(0, ring.length - this.opts.tradesPerMarket);
      }
    }
  }

  private async depthOf(id: string): Promise<OrderbookValue> {
    const r = await this.deps.app.query({
      path: "orderbook",
      params: { market: id, depth: this.opts.bookDepth },
      prove: false,
    });
    return r.value as OrderbookValue;
  }

  // --- ReplaySource --------------------------------------------------------------------

  check(topic: string, fromHeight: number | undefined): void {
    const colon = topic.indexOf(":");
    const kind = colon < 0 ? topic : topic.slice(0, colon);
    const arg = topic.slice(colon + 1);
    if ((kind === "trades" || kind === "book") && !this.books.has(arg)) {
      throw new PerpetuaError(ErrorCode.UNKNOWN_MARKET, `unknown market ${arg}`);
    }
    if (kind === "account") this.watched.set(arg, this.latestHeight());
    if (fromHeight === undefined || kind === "book") return;
    const oldest = Math.max(1, this.latestHeight() - this.opts.replayHeights + 1);
    if (fromHeight < oldest) {
      throw new PerpetuaError(
        ErrorCode.INVALID_FIELD,
        `from: height ${fromHeight} is older than the replay window (this node replays the last ${this.opts.replayHeights} heights, from ${oldest}); subscribe without from and re-read the state`,
      );
    }
  }

  snapshot(topic: string): HubEvent | undefined {
    if (!topic.startsWith("book:")) return undefined;
    const id = topic.slice(5);
    const b = this.books.get(id);
    if (!b) return undefined;
    return {
      height: b.height,
      data: {
        type: "snapshot",
        market: id,
        height: b.height,
        bids: b.depth.bids,
        asks: b.depth.asks,
      },
    };
  }

  async *replay(topic: string, fromHeight: number): AsyncIterable<HubEvent> {
    if (topic.startsWith("book:")) {
      yield* this.replayBook(topic.slice(5), fromHeight);
      return;
    }
    const address = topic.startsWith("account:") ? topic.slice(8) : undefined;
    const market = topic.startsWith("trades:") ? topic.slice(7) : undefined;
    // account: the positions at the start of the height being replayed, from the first
    // funding boundary met on (derived once from the state, then rolled forward by fills).
    let sizes: Map<string, bigint> | undefined;
    // The store grows while we read: stop at the first height without stored results; live
    // events above it reach the subscriber through the hub's seam.
    for (let h = fromHeight; ; h++) {
      const c = this.committed(h);
      if (!c) return;
      if (topic === "blocks") yield { height: h, data: blockSummary(c) };
      else if (market !== undefined) {
        const trades = tradesOf(c, market);
        if (trades.length > 0) yield { height: h, data: trades };
      } else if (address !== undefined) {
        const ticks = fundingTicksOf(c);
        if (ticks.length > 0 && sizes === undefined) {
          sizes = await this.sizesAtStartOf(h, address, await this.positionsOf(address));
        }
        const funding = sizes && new Map([[address, fundingPaymentsOf(ticks, sizes, this.units)]]);
        const u = accountUpdatesOf(c, (a) => a === address, funding).get(address);
        if (sizes) addDeltas(sizes, positionDeltasOf(c, address, this.units), 1n);
        if (u) yield { height: h, data: u };
      }
      // Yield to the event loop between heights: a long replay must not starve consensus.
      if ((h & 63) === 0) await new Promise((r) => setImmediate(r));
    }
  }

  private *replayBook(id: string, fromHeight: number): Iterable<HubEvent> {
    const b = this.books.get(id);
    if (!b) return;
    if (fromHeight <= b.coveredAbove) {
      // Diffs from there are not in memory: a snapshot at the last published height stands
      // in for them (the client replaces its book).
      const s = this.snapshot(`book:${id}`);
      if (s) yield s;
      return;
    }
    for (const ev of [...b.diffs]) if (ev.height >= fromHeight) yield ev;
  }
}

function addDeltas(sizes: Map<string, bigint>, deltas: Map<string, bigint>, sign: bigint): void {
  for (const [m, d] of deltas) sizes.set(m, (sizes.get(m) ?? 0n) + sign * d);
}

function committedOf(block: Block, result: FinalizeBlockResponse): CommittedHeight {
  return {
    height: block.header.height,
    timeMs: block.header.timeMs,
    hash: blockHash(block),
    txs: block.txs.length,
    result,
  };
}

/** The store's proof as JSON (rpc/exchange/routes.ts AccountProofJson documents it). */
function proofJson(p: ProvenValue & { key: Uint8Array }): AccountProofJson {
  return {
    key: toHex(p.key),
    value: p.value === undefined ? null : toBase64(p.value),
    proof: toBase64(encodeProof(p.proof)),
    root: toHex(p.root).toUpperCase(),
    version: p.version,
    height: p.version - 1,
  };
}
