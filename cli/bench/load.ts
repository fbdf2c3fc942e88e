/**
 * The load generator of `perpetua bench`: fresh accounts funded by the faucet, transactions
 * signed ahead of submission, batched `broadcast_tx_sync` over several nodes within a
 * bounded in-flight window (and an optional target rate), commits matched by hash.
 *
 * Accounts are pinned to nodes (account a sends through node a mod n) and every node has its
 * own share of the window, so no account ever has more than MAX_IN_FLIGHT_PER_ACCOUNT
 * transactions in flight: the nonce window of 100 then never drops one of ours.
 */
import { performance } from "node:perf_hooks";
import { toBase64 } from "../../lib/bytes.js";
import { errorName } from "../../lib/errors.js";
import type { PerpetuaClient } from "../../rpc/client/client.js";
import { nodeSigner } from "../../rpc/client/nodeSigner.js";
import { generateSeed } from "../../rpc/client/signer.js";
import { decodeMsgResults, faucet, type Msg } from "../../rpc/client/tx.js";
import type { MarketInfo } from "../../rpc/client/types.js";
import { Wallet } from "../../rpc/client/wallet.js";
import { CliError } from "../args.js";
import { type BlockSeen, CommitFollower } from "./follow.js";
import { closeAgents, postJson } from "./http.js";
import type { BenchOptions } from "./options.js";
import { farOrders } from "./orders.js";
import { type BenchResult, percentile, round } from "./stats.js";

/** JSON-RPC batch limits of a node's default config (rpc.maxBatch, rpc.maxBodyBytes). */
const MAX_BATCH = 100;
const MAX_BODY_BYTES = 900_000;
/** Concurrent broadcast requests per node. */
const REQUESTS_PER_NODE = 2;
/** A transaction accepted this long ago and not committed is counted lost (frees its slot). */
const LOST_AFTER_MS = 30_000;
/** Faucet amount per bench account, USDC: far more than the margin of one-lot IOC orders. */
const FUND_USDC = "10000";

interface Signed {
  hash: string;
  bytes: Uint8Array;
}

/**
 * Pre-signing before the window: enough transactions for the whole duration at up to
 * PRESIGN_ORDERS_S orders/s (or PRESIGN_TX_S tx/s, whichever is fewer; `--rate` R instead:
 * R tx/s), within PRESIGN_MAX_BYTES of signed bytes. Signing during the window took ~8 % of
 * a 2-core machine away from the nodes it measures (0.3 ms per 50-order transaction); the
 * background signer still tops the queues up if a faster chain drains them.
 */
const PRESIGN_ORDERS_S = 60_000;
const PRESIGN_TX_S = 2_500;
const PRESIGN_MAX_BYTES = 192 * 1024 * 1024;

interface InFlight {
  node: number;
  at: number;
}

export interface Progress {
  /** False once the window is over and what is in flight drains. */
  measuring: boolean;
  elapsedMs: number;
  durationMs: number;
  submitted: number;
  committed: number;
  rejected: number;
  inFlight: number;
  txPerS: number;
}

export class BenchRun {
  private readonly wallets: Wallet[];
  private readonly queues: Signed[][];
  private readonly nodeAccounts: number[][];
  private readonly cursor: number[];
  private readonly busy: number[];
  private readonly inFlightByNode: number[];
  private readonly windowPerNode: number;
  private readonly inFlight = new Map<string, InFlight>();
  private readonly awaited = new Map<string, (b: BlockSeen) => void>();
  private readonly follower: CommitFollower;
  private readonly orders: Msg[];
  private maxBatch = MAX_BATCH;
  private wake: (() => void) | undefined;
  private signing = false;
  private measuring = false;
  private t0 = 0;
  private tEnd = 0;
  private sampling = false;

  // results
  private submitted = 0;
  private rejected = 0;
  private readonly rejectedBy: Record<string, number> = {};
  private committed = 0;
  private committedLate = 0;
  private lost = 0;
  private readonly latencies: number[] = [];
  private readonly blockTimes: number[] = [];
  private sampledOrders = 0;
  private sampledFailedOrders = 0;
  private sampledTxs = 0;
  private sampledFailedTxs = 0;

  constructor(
    private readonly o: BenchOptions,
    private readonly clients: PerpetuaClient[],
    chainId: string,
    markets: readonly MarketInfo[],
  ) {
    const n = clients.length;
    if (o.accounts < n)
      throw new CliError(`--accounts must be at least the number of nodes (${n})`);
    this.wallets = Array.from(
      { length: o.accounts },
      (_, a) => new Wallet(clients[a % n], nodeSigner(generateSeed()), { chainId }),
    );
    this.nodeAccounts = clients.map((_, i) =>
      this.wallets.map((_, a) => a).filter((a) => a % n === i),
    );
    this.queues = clients.map(() => []);
    this.cursor = clients.map(() => 0);
    this.busy = clients.map(() => 0);
    this.inFlightByNode = clients.map(() => 0);
    this.windowPerNode = Math.max(1, Math.floor(o.inFlight / n));
    this.orders = farOrders(markets, o.ordersPerTx);
    this.follower = new CommitFollower(
      clients[0],
      (b) => this.onBlock(b),
      clients.map((c) => c.url),
    );
  }

  /** Subscribes to commits, then funds every account through the faucet and waits for it. */
  async prepare(log: (line: string) => void): Promise<void> {
    await this.follower.start();
    log(`funding ${this.wallets.length} accounts with the faucet`);
    const txs = await Promise.all(this.wallets.map((w) => w.sign([faucet(FUND_USDC)])));
    const committed = txs.map(
      (t) => new Promise<BlockSeen>((resolve) => this.awaited.set(t.hash, resolve)),
    );
    await Promise.all(
      this.clients.map(async (_, i) => {
        const mine = txs.filter((_, a) => a % this.clients.length === i);
        for (let j = 0; j < mine.length; j += MAX_BATCH) {
          const outcome = await this.broadcast(i, mine.slice(j, j + MAX_BATCH), false);
          const refused = outcome.find((x) => x.code !== 0);
          if (refused)
            throw new CliError(`faucet refused by ${this.clients[i].url}: ${refused.log}`);
        }
      }),
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new CliError("the faucet transactions did not commit within 60 s")),
        60_000,
      );
    });
    try {
      await Promise.race([Promise.all(committed), timeout]);
    } finally {
      clearTimeout(timer);
    }
    // One faucet result read back: the chain must have credited the account.
    const r = await this.clients[0].tx(txs[0].hash);
    const failed = decodeMsgResults(r.tx_result.data).find((x) => x.code !== 0);
    if (r.tx_result.code !== 0 || failed)
      throw new CliError(`faucet failed: ${failed?.log ?? r.tx_result.log}`);
  }

  /**
   * Signs ahead (`onSigned` sees the count), then submits for the duration, drains, and
   * returns the figures.
   */
  async run(
    onProgress: (p: Progress) => void,
    onSigned: (done: number, total: number) => void = () => {},
  ): Promise<BenchResult> {
    const n = this.clients.length;
    const ahead = this.aheadPerNode();
    await this.signUntil(1, () => false);
    const txBytes = this.queues[0][0].bytes.length;
    const sample = Math.ceil(txBytes / 3) * 4; // its base64
    this.maxBatch = Math.max(1, Math.min(MAX_BATCH, Math.floor(MAX_BODY_BYTES / (sample + 80))));
    const perNode = Math.max(ahead, Math.ceil(this.presignCount(txBytes) / n));
    const total = perNode * n;
    await this.signUntil(
      perNode,
      () => false,
      () => onSigned(this.queued(), total),
    );
    onSigned(this.queued(), total);

    this.t0 = performance.now();
    this.tEnd = this.t0 + this.o.durationMs;
    this.measuring = true;
    const signer = this.keepSigning(ahead);
    let turn = 0;
    const ticker = setInterval(() => {
      this.expire();
      onProgress(this.progress());
    }, 250);
    try {
      while (performance.now() < this.tEnd) {
        let sent = false;
        // The first node to pump takes the rate's allowance: rotate who goes first.
        for (let k = 0; k < n; k++) sent = this.pump((k + turn) % n) || sent;
        turn++;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, sent ? 1 : 5);
        });
      }
      this.measuring = false;
      await signer;
      // Drain: what is in flight may still commit; it counts for latency, not for tx_s.
      // Each transaction gets LOST_AFTER_MS from its submission (expire() runs on the ticker).
      const drainUntil = performance.now() + LOST_AFTER_MS + 1_000;
      while (this.inFlight.size > 0 && performance.now() < drainUntil) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await this.follower.settled();
      this.lost += this.inFlight.size;
      this.inFlight.clear();
      while (this.sampling) await new Promise((r) => setTimeout(r, 20));
    } finally {
      this.measuring = false;
      clearInterval(ticker);
      this.follower.stop();
      closeAgents();
    }
    return this.result();
  }

  stop(): void {
    this.measuring = false;
    this.follower.stop();
  }

  /** Transactions to sign before the window (see PRESIGN_ORDERS_S). */
  private presignCount(txBytes: number): number {
    const seconds = this.o.durationMs / 1000;
    const txPerS = this.o.rate ?? Math.min(PRESIGN_ORDERS_S / this.o.ordersPerTx, PRESIGN_TX_S);
    return Math.min(Math.ceil(seconds * txPerS), Math.floor(PRESIGN_MAX_BYTES / txBytes));
  }

  private queued(): number {
    let q = 0;
    for (const x of this.queues) q += x.length;
    return q;
  }

  /**
   * Transactions kept signed ahead per node while measuring: twice its share of the window.
   * Submission never outruns the window, and the signer refills in the background faster
   * than a chain commits (≈ 0.3 ms per 50-order transaction with node:crypto).
   */
  private aheadPerNode(): number {
    return Math.max(2 * this.windowPerNode, MAX_BATCH);
  }

  /** Sends one batch to node i if its window, the rate and its queue allow. */
  private pump(i: number): boolean {
    if (this.busy[i] >= REQUESTS_PER_NODE) return false;
    let room = Math.min(
      this.maxBatch,
      this.windowPerNode - this.inFlightByNode[i],
      this.queues[i].length,
    );
    if (this.o.rate !== undefined) {
      const due = Math.floor(((performance.now() - this.t0) / 1000) * this.o.rate);
      room = Math.min(room, due - this.submitted);
    }
    if (room <= 0) return false;
    const batch = this.queues[i].splice(0, room);
    this.busy[i]++;
    this.submitted += batch.length;
    void this.broadcast(i, batch).finally(() => {
      this.busy[i]--;
      this.wake?.();
    });
    return true;
  }

  /**
   * One JSON-RPC batch of broadcast_tx_sync. Measured transactions (`track`) are in flight
   * from before the request (a block may include one before the answer arrives); refusals
   * leave the window.
   */
  private async broadcast(
    i: number,
    batch: readonly Signed[],
    track = true,
  ): Promise<{ code: number; log: string }[]> {
    const at = performance.now();
    if (track) {
      for (const t of batch) this.inFlight.set(t.hash, { node: i, at });
      this.inFlightByNode[i] += batch.length;
    }
    let outcome: { code: number; log: string }[];
    try {
      // The batch's JSON written directly: base64 needs no escaping.
      let json = "[";
      for (let id = 0; id < batch.length; id++) {
        const tx = toBase64(batch[id].bytes);
        json += `${id > 0 ? "," : ""}{"jsonrpc":"2.0","id":${id},"method":"broadcast_tx_sync","params":{"tx":"${tx}"}}`;
      }
      const { status, body } = await postJson(`${this.clients[i].url}/`, `${json}]`, 30_000);
      if (!Array.isArray(body) || body.length !== batch.length)
        throw new Error(`HTTP ${status}: ${JSON.stringify(body).slice(0, 200)}`);
      const byId = new Map<number, { result?: { code: number; log: string }; error?: Rpc }>(
        body.map((r) => [r.id, r]),
      );
      outcome = batch.map((_, id) => {
        const r = byId.get(id);
        if (r?.result) return { code: r.result.code, log: r.result.log };
        return { code: r?.error?.code ?? -1, log: r?.error?.message ?? "no answer" };
      });
    } catch (e) {
      const why = (e as { cause?: Error }).cause?.message ?? (e as Error).message;
      outcome = batch.map(() => ({ code: -1, log: why }));
      // An unreachable node: do not spin on it.
      await new Promise((r) => setTimeout(r, 200));
    }
    outcome.forEach((x, k) => {
      if (x.code === 0 || !track) return;
      const name = x.code > 0 ? errorName(x.code) : x.code === -1 ? "transport" : `rpc_${x.code}`;
      this.rejectedBy[name] = (this.rejectedBy[name] ?? 0) + 1;
      this.rejected++;
      if (this.inFlight.delete(batch[k].hash)) this.inFlightByNode[i]--;
    });
    return outcome;
  }

  private onBlock(b: BlockSeen): void {
    if (this.measuring && b.seenAt >= this.t0 && b.seenAt <= this.tEnd)
      this.blockTimes.push(b.timeMs);
    let first: string | undefined;
    for (const h of b.hashes) {
      const waiting = this.awaited.get(h);
      if (waiting) {
        this.awaited.delete(h);
        waiting(b);
      }
      const f = this.inFlight.get(h);
      if (!f) continue;
      this.inFlight.delete(h);
      this.inFlightByNode[f.node]--;
      this.latencies.push(b.seenAt - f.at);
      if (b.seenAt <= this.tEnd) this.committed++;
      else this.committedLate++;
      first ??= h;
    }
    if (first !== undefined) void this.sample(first);
    this.wake?.();
  }

  /** Reads back one committed transaction per block: did its orders execute? */
  private async sample(hash: string): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const r = await this.clients[0].tx(hash);
      this.sampledTxs++;
      if (r.tx_result.code !== 0) {
        this.sampledFailedTxs++;
        this.sampledOrders += this.o.ordersPerTx;
        this.sampledFailedOrders += this.o.ordersPerTx;
        return;
      }
      const results = decodeMsgResults(r.tx_result.data);
      this.sampledOrders += results.length;
      this.sampledFailedOrders += results.filter((x) => x.code !== 0).length;
    } catch {
      // a sample is optional; the next block brings another
    } finally {
      this.sampling = false;
    }
  }

  /** Frees the slots of transactions accepted long ago and never committed. */
  private expire(): void {
    const old = performance.now() - LOST_AFTER_MS;
    for (const [h, f] of this.inFlight) {
      if (f.at > old) break; // insertion order is submission order
      this.inFlight.delete(h);
      this.inFlightByNode[f.node]--;
      this.lost++;
    }
  }

  private signOne(i: number): Promise<void> {
    const accounts = this.nodeAccounts[i];
    const w = this.wallets[accounts[this.cursor[i]++ % accounts.length]];
    return w.sign(this.orders).then((t) => {
      this.queues[i].push({ hash: t.hash, bytes: t.bytes });
    });
  }

  /**
   * Signs until every queue holds `ahead` transactions (or `stop()`), yielding every ~5 ms
   * (then calling `onYield`).
   */
  private async signUntil(
    ahead: number,
    stop: () => boolean,
    onYield: () => void = () => {},
  ): Promise<void> {
    for (;;) {
      const started = performance.now();
      let did = false;
      while (performance.now() - started < 5 && !stop()) {
        const i = this.queues.findIndex((q) => q.length < ahead);
        if (i < 0) break;
        await this.signOne(i);
        did = true;
      }
      if (!did || stop()) return;
      onYield();
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Keeps the queues topped up while measuring. */
  private async keepSigning(ahead: number): Promise<void> {
    if (this.signing) return;
    this.signing = true;
    try {
      while (this.measuring) {
        await this.signUntil(ahead, () => !this.measuring);
        await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      this.signing = false;
    }
  }

  private progress(): Progress {
    const elapsedMs = Math.min(performance.now() - this.t0, this.o.durationMs);
    return {
      measuring: this.measuring,
      elapsedMs,
      durationMs: this.o.durationMs,
      submitted: this.submitted,
      committed: this.committed,
      rejected: this.rejected,
      inFlight: this.inFlight.size,
      txPerS: elapsedMs > 0 ? this.committed / (elapsedMs / 1000) : 0,
    };
  }

  private result(): BenchResult {
    const seconds = this.o.durationMs / 1000;
    const sorted = this.latencies.slice().sort((a, b) => a - b);
    // Orders that executed: committed × K, scaled by the failure ratio of the sample.
    const okRatio = this.sampledOrders > 0 ? 1 - this.sampledFailedOrders / this.sampledOrders : 1;
    const t = this.blockTimes;
    return {
      tx_s: round(this.committed / seconds),
      orders_s: round((this.committed * this.o.ordersPerTx * okRatio) / seconds),
      p50_ms: round(percentile(sorted, 50)),
      p99_ms: round(percentile(sorted, 99)),
      p90_ms: round(percentile(sorted, 90)),
      max_ms: round(sorted.length > 0 ? sorted[sorted.length - 1] : 0),
      duration_s: seconds,
      nodes: this.clients.length,
      accounts: this.wallets.length,
      orders_per_tx: this.o.ordersPerTx,
      rate: this.o.rate ?? null,
      in_flight: this.o.inFlight,
      submitted: this.submitted,
      rejected: this.rejected,
      rejected_by: this.rejectedBy,
      committed: this.committed,
      committed_late: this.committedLate,
      lost: this.lost,
      sampled_txs: this.sampledTxs,
      sampled_failed_txs: this.sampledFailedTxs,
      sampled_orders: this.sampledOrders,
      sampled_failed_orders: this.sampledFailedOrders,
      blocks: t.length,
      block_interval_ms: t.length > 1 ? round((t[t.length - 1] - t[0]) / (t.length - 1)) : 0,
      missed_blocks: this.follower.missedBlocks,
    };
  }
}

interface Rpc {
  code: number;
  message: string;
}
