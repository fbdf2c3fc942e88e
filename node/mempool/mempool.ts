/**
 * The mempool: transactions that passed checkTx, waiting for a proposer.
 *
 * - checkTx on arrival; duplicates (by hash) and transactions already committed are
 *   refused without asking the app;
 * - ordered by priority (cancels first), FIFO within a priority;
 * - limits on the total count and bytes, per account, and per transaction; when full, a
 *   transaction of higher priority evicts the newest of the lowest priority, otherwise it
 *   is refused with MEMPOOL_FULL;
 * - after each block: committed transactions leave (and are remembered so they are never
 *   re-proposed), good-til-block transactions past their height are evicted, and the rest
 *   is rechecked against the new state in arrival order (dropping what became invalid).
 */
import type { CheckTxResponse } from "../../lib/abci.js";
import { toHex } from "../../lib/bytes.js";
import { ErrorCode } from "../../lib/errors.js";
import { sha256OfImmutable } from "../../lib/hash.js";

export interface MempoolOptions {
  maxTxs: number;
  maxBytes: number;
  maxTxsPerAccount: number;
  maxTxBytes: number;
  /** How many committed hashes to remember (refused if they come back). */
  committedMemory?: number;
}

export interface MempoolDeps {
  checkTx(tx: Uint8Array, mode: "new" | "recheck"): CheckTxResponse;
}

export interface MempoolEntry {
  readonly hash: string;
  readonly tx: Uint8Array;
  readonly priority: number;
  readonly sender: string;
  readonly seq: number;
  readonly expiresAfterHeight: number;
}

export interface AddResult {
  readonly code: number;
  readonly log: string;
  readonly hash: string;
  /** True when the transaction is now in the pool (new). */
  readonly added: boolean;
}

export const DEFAULT_MEMPOOL: MempoolOptions = {
  maxTxs: 50_000,
  maxBytes: 256 << 20,
  maxTxsPerAccount: 1_000,
  maxTxBytes: 32 * 1024,
  committedMemory: 200_000,
};

export function txHashHex(tx: Uint8Array): string {
  return toHex(sha256OfImmutable(tx)).toUpperCase();
}

export class Mempool {
  private readonly entries = new Map<string, MempoolEntry>();
  /** priority -> entries in arrival order. */
  private readonly byPriority = new Map<number, Map<string, MempoolEntry>>();
  private readonly perAccount = new Map<string, number>();
  private readonly committed = new Set<string>();
  private bytes = 0;
  private seq = 0;

  constructor(
    private readonly opts: MempoolOptions,
    private readonly deps: MempoolDeps,
  ) {}

  size(): number {
    return this.entries.size;
  }

  sizeBytes(): number {
    return this.bytes;
  }

  has(hash: string): boolean {
    return this.entries.has(hash);
  }

  get(hash: string): Uint8Array | undefined {
    return this.entries.get(hash)?.tx;
  }

  /** `hash`: txHashHex(tx), when the caller already has it (gossip batches do). */
  add(tx: Uint8Array, hash = txHashHex(tx)): AddResult {
    if (tx.length > this.opts.maxTxBytes) {
      return {
        code: ErrorCode.TOO_LARGE,
        log: `tx is ${tx.length} bytes, limit ${this.opts.maxTxBytes}`,
        hash,
        added: false,
      };
    }
    if (this.entries.has(hash))
      return {
        code: ErrorCode.ALREADY_IN_MEMPOOL,
        log: "tx already in mempool",
        hash,
        added: false,
      };
    if (this.committed.has(hash))
      return { code: ErrorCode.BAD_NONCE, log: "tx already committed", hash, added: false };
    const res = this.deps.checkTx(tx, "new");
    if (!res.ok) return { code: res.code, log: res.log, hash, added: false };
    if ((this.perAccount.get(res.sender) ?? 0) >= this.opts.maxTxsPerAccount) {
      return {
        code: ErrorCode.MEMPOOL_FULL,
        log: `account ${res.sender} has ${this.opts.maxTxsPerAccount} txs pending`,
        hash,
        added: false,
      };
    }
    while (this.entries.size >= this.opts.maxTxs || this.bytes + tx.length > this.opts.maxBytes) {
      if (!this.evictBelow(res.priority)) {
        return { code: ErrorCode.MEMPOOL_FULL, log: "mempool is full", hash, added: false };
      }
    }
    this.insert({
      hash,
      tx,
      priority: res.priority,
      sender: res.sender,
      seq: this.seq++,
      expiresAfterHeight: res.expiresAfterHeight ?? 0,
    });
    return { code: 0, log: res.log, hash, added: true };
  }

  /** Evicts the newest entry of the lowest priority below `priority`; false if none. */
  private evictBelow(priority: number): boolean {
    const priorities = [...this.byPriority.keys()].sort((a, b) => a - b);
    for (const p of priorities) {
      if (p >= priority) return false;
      const bucket = this.byPriority.get(p)!;
      const newest = [...bucket.values()].at(-1);
      if (newest) {
        this.remove(newest.hash);
        return true;
      }
    }
    return false;
  }

  private insert(e: MempoolEntry): void {
    this.entries.set(e.hash, e);
    let bucket = this.byPriority.get(e.priority);
    if (!bucket) {
      bucket = new Map();
      this.byPriority.set(e.priority, bucket);
    }
    bucket.set(e.hash, e);
    this.perAccount.set(e.sender, (this.perAccount.get(e.sender) ?? 0) + 1);
    this.bytes += e.tx.length;
  }

  remove(hash: string): void {
    const e = this.entries.get(hash);
    if (!e) return;
    this.entries.delete(hash);
    const bucket = this.byPriority.get(e.priority)!;
    bucket.delete(hash);
    if (bucket.size === 0) this.byPriority.delete(e.priority);
    const n = (this.perAccount.get(e.sender) ?? 1) - 1;
    if (n === 0) this.perAccount.delete(e.sender);
    else this.perAccount.set(e.sender, n);
    this.bytes -= e.tx.length;
  }

  /** Transactions for a proposal: priority first, arrival order within, within limits. */
  reap(maxBytes: number, maxTxs: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let bytes = 0;
    const priorities = [...this.byPriority.keys()].sort((a, b) => b - a);
    for (const p of priorities) {
      for (const e of this.byPriority.get(p)!.values()) {
        if (out.length >= maxTxs) return out;
        if (bytes + e.tx.length > maxBytes) continue;
        out.push(e.tx);
        bytes += e.tx.length;
      }
    }
    return out;
  }

  /**
   * After block `height` committed `txs`: forget them (remembering their hashes), evict
   * expired good-til-block transactions, recheck the rest against the new state.
   */
  update(
    height: number,
    txs: readonly Uint8Array[],
  ): { removed: number; rechecked: number; dropped: number } {
    let removed = 0;
    for (const tx of txs) {
      const h = txHashHex(tx);
      this.rememberCommitted(h);
      if (this.entries.has(h)) {
        this.remove(h);
        removed++;
      }
    }
    let dropped = 0;
    const rest = [...this.entries.values()].sort((a, b) => a.seq - b.seq);
    for (const e of rest) {
      if (e.expiresAfterHeight > 0 && e.expiresAfterHeight <= height) {
        this.remove(e.hash);
        dropped++;
        continue;
      }
      if (!this.deps.checkTx(e.tx, "recheck").ok) {
        this.remove(e.hash);
        dropped++;
      }
    }
    return { removed, rechecked: rest.length, dropped };
  }

  private rememberCommitted(h: string): void {
    this.committed.add(h);
    const max = this.opts.committedMemory ?? 200_000;
    if (this.committed.size > max) {
      const first = this.committed.values().next().value;
      if (first !== undefined) this.committed.delete(first);
    }
  }
}
