/**
 * A KvStore wrapper that holds the authenticated store's writes until the application's
 * Commit, and lets the application add its own (unauthenticated) records to the same batch.
 *
 * ABCI++ splits a block into FinalizeBlock (returns the app hash) and Commit (persists).
 * The authenticated store computes the app hash while "writing" its batch; here that write
 * is kept in memory (reads see it, so the tree keeps working) and reaches the backend only
 * at `flush()`, in one atomic batch with the extra records staged by `stage()`. A crash in
 * between leaves the backend at the previous block, which the node's handshake replays.
 */
import { toHex } from "../../lib/bytes.js";
import { type KvBatch, type KvRange, type KvStore, unpackedPuts } from "./kv.js";

export class DeferredKv implements KvStore {
  private extraPuts: [Uint8Array, Uint8Array][] = [];
  private extraDels: Uint8Array[] = [];
  private pending: KvBatch | undefined;
  /** hex key -> value (undefined = deleted) of the pending batch, for reads. */
  private overlay = new Map<string, Uint8Array | undefined>();

  constructor(private readonly inner: KvStore) {}

  /** Adds records to the next batch (applied after the store's own). */
  stage(puts: [Uint8Array, Uint8Array][], dels: Uint8Array[]): void {
    for (const p of puts) this.extraPuts.push(p);
    for (const d of dels) this.extraDels.push(d);
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const h = toHex(key);
    if (this.overlay.has(h)) return this.overlay.get(h);
    return this.inner.get(key);
  }

  /** Iterates the backend; pending writes are not visible (used only at load time). */
  iterate(range?: KvRange): AsyncIterable<[Uint8Array, Uint8Array]> {
    if (this.pending) throw new Error("DeferredKv: iterate with an unflushed batch");
    return this.inner.iterate(range);
  }

  /** Takes the store's batch: merged with staged records and held until flush(). */
  async write(batch: KvBatch): Promise<void> {
    if (this.pending) throw new Error("DeferredKv: previous batch not flushed");
    // Deletes of the staged extras are applied after puts by the backend; keep the same
    // order here so the overlay agrees.
    const puts = unpackedPuts(batch).concat(this.extraPuts);
    const dels = batch.dels.concat(this.extraDels);
    this.extraPuts = [];
    this.extraDels = [];
    this.pending = { puts, dels };
    for (const [k, v] of puts) this.overlay.set(toHex(k), v);
    for (const k of dels) this.overlay.set(toHex(k), undefined);
  }

  /** The batch waiting for Commit (the node may write it inside its own block batch). */
  takePending(): KvBatch | undefined {
    const p = this.pending;
    return p;
  }

  /** Marks the pending batch as persisted by someone else (the node's block batch). */
  markFlushed(): void {
    this.pending = undefined;
    this.overlay.clear();
  }

  /** Writes the pending batch to the backend in one atomic write. */
  async flush(): Promise<void> {
    if (!this.pending) return;
    await this.inner.write(this.pending);
    this.markFlushed();
  }

  /** Forgets an unflushed batch (a failed block). */
  discard(): void {
    this.pending = undefined;
    this.overlay.clear();
    this.extraPuts = [];
    this.extraDels = [];
  }
}
