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
 */
import { type Block, blockHash } from "../consensus/types/block.js";
import type { FinalizeBlockResponse, QueryRequest, QueryResponse } from "../lib/abci.js";
import { toBase64, toHex } from "../lib/bytes.js";
import { ErrorCode, PerpetuaError } from "../lib/errors.js";
import {
  accountUpdatesOf,
  blockSummary,
  type CommittedHeight,
  diffLevels,
  type Level,
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

export class NodeExchangeSource implements ExchangeSource, ReplaySource {
  private readonly opts: ExchangeSourceOptions;
  private readonly recentTrades = new Map<string, TradeView[]>();
  private readonly books = new Map<string, BookState>();
  private markets: string[] = [];
  /** Publications run in commit order, each after its depth snapshots were taken. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      app: Pick<PerpetuaApp, "query" | "info">;
      blocks: Pick<NodeBlockStore, "height" | "load" | "loadFinalizeResult">;
      logger: Logger;
    },
    opts: Partial<ExchangeSourceOptions> = {},
  ) {
    this.opts = { ...DEFAULT_EXCHANGE_SOURCE_OPTIONS, ...opts };
  }

  /** Loads the market list and book depths, and refills the trades ring from the store. */
  async start(): Promise<void> {
    const r = await this.deps.app.query({ path: "markets", params: {}, prove: false });
    this.markets = (r.value as { id: string }[]).map((m) => m.id);
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
    return h > 0 && !this.deps.blocks.loadFinalizeResult(h) ? h - 1 : h;
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
    this.chain = this.chain
      .then(async () => {
        const books = await Promise.all(depths.map(async ([id, p]) => [id, await p] as const));
        this.publish(hub, c, books);
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
    const updates = accountUpdatesOf(c, (a) => hub.hasSubscribers(`account:${a}`));
    for (const [a, u] of updates) hub.publish(`account:${a}`, { height: c.height, data: u });
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
        const u = accountUpdatesOf(c, (a) => a === address).get(address);
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
