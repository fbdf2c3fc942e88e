/**
 * Transaction gossip: transactions accepted by this node's mempool are batched (many per
 * gossip message, as measured necessary: gossipsub costs ~100 µs per message per peer) and
 * published on the chain's tx topic every `flushMs`; batches from peers go through the
 * mempool's checkTx one by one. A batch that does not decode, or carries a transaction with
 * a bad signature or malformed bytes, is rejected (the relaying peer is penalized);
 * duplicates and transactions that are merely stale now are ignored.
 */
import type { Logger } from "pino";
import { decode, encode } from "../lib/cbor.js";
import { ErrorCode } from "../lib/errors.js";
import { type Mempool, txHashHex } from "./mempool/mempool.js";
import type { P2PHost } from "./p2p/index.js";

const MAX_BATCH_BYTES = 512 * 1024;
const PEER_FAULTS: ReadonlySet<number> = new Set([
  ErrorCode.MALFORMED,
  ErrorCode.NON_CANONICAL,
  ErrorCode.BAD_SIGNATURE,
  ErrorCode.WRONG_CHAIN,
  ErrorCode.INVALID_FIELD,
  ErrorCode.TX_TOO_LARGE,
]);

export class TxGossip {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly topic: string;
  received = 0;
  published = 0;
  /**
   * Transactions of peers' batches still being verified, by upper-case hex hash: a compact
   * proposal naming one of them is rebuilt from here instead of fetching it again.
   */
  private readonly arriving = new Map<string, Uint8Array>();

  constructor(
    private readonly host: P2PHost,
    private readonly mempool: Mempool,
    private readonly log: Logger,
    private readonly flushMs = 20,
    /** Verifies signatures off the main thread before checkTx (PerpetuaApp.preverify). */
    private readonly preverify: (txs: readonly Uint8Array[]) => Promise<void> = async () => {},
  ) {
    this.topic = host.topics.tx;
    host.subscribe(this.topic, (data) => this.onBatch(data));
  }

  start(): void {
    this.timer = setInterval(() => this.flush(), this.flushMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A transaction a peer sent that is still being checked (see `arriving`). */
  arrivingTx(hashHex: string): Uint8Array | undefined {
    return this.arriving.get(hashHex);
  }

  /** Queues a transaction this node accepted, for gossip. */
  enqueue(tx: Uint8Array): void {
    this.pending.push(tx);
    this.pendingBytes += tx.length;
    if (this.pendingBytes >= MAX_BATCH_BYTES) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.published += batch.length;
    this.host
      .publish(this.topic, encode(batch))
      .catch((e: unknown) => this.log.debug({ err: String(e) }, "tx gossip failed"));
  }

  private async onBatch(data: Uint8Array): Promise<"accept" | "reject" | "ignore"> {
    let txs: unknown;
    try {
      txs = decode(data);
    } catch {
      return "reject";
    }
    if (!Array.isArray(txs) || txs.some((t) => !(t instanceof Uint8Array))) return "reject";
    const batch = txs as Uint8Array[];
    const hashes = batch.map(txHashHex);
    for (let i = 0; i < batch.length; i++) this.arriving.set(hashes[i], batch[i]);
    let fault = false;
    let added = 0;
    try {
      await this.preverify(batch);
      for (let i = 0; i < batch.length; i++) {
        const r = this.mempool.add(batch[i], hashes[i]);
        if (r.added) added++;
        else if (PEER_FAULTS.has(r.code)) fault = true;
      }
    } finally {
      for (const h of hashes) this.arriving.delete(h);
    }
    this.received += txs.length;
    if (fault) return "reject";
    return added > 0 ? "accept" : "ignore";
  }
}
