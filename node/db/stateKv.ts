/**
 * The state machine's `KvStore` (state/store/kv.ts) over one bucket of the node database.
 *
 * Standalone, `write` is one atomic controller batch. For a block commit the node instead
 * calls `captureNextWrite(batch)` before `app.commit()`: the authenticated store's next
 * `write` then adds its puts and dels to the node's batch (next to the block, results, tx
 * index and meta) and its promise settles only when that shared batch has been written.
 * So the KvStore contract holds exactly: when `write` resolves the state is durable, and a
 * rejected `write` means nothing was written — the store keeps its previous root.
 * `commitWithState` below packages this dance.
 */
import { compareBytes, concatBytes } from "../../lib/bytes.js";
import {
  type KvBatch,
  type KvRange,
  type KvStore,
  prefixEnd,
  unpackedPuts,
} from "../../state/store/kv.js";
import { Bucket } from "./buckets.js";
import { type DatabaseController, WriteBatch } from "./controller.js";

interface Capture {
  batch: WriteBatch;
  staged: () => void;
}

export class StateKvStore implements KvStore {
  private readonly prefix: Uint8Array;
  private readonly bucketEnd: Uint8Array;
  private capture: Capture | undefined;

  constructor(
    private readonly db: DatabaseController,
    readonly bucket: Bucket = Bucket.State,
  ) {
    this.prefix = Uint8Array.of(bucket);
    this.bucketEnd = Uint8Array.of(bucket + 1);
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.db.get(concatBytes(this.prefix, key));
  }

  iterate(range: KvRange = {}): AsyncIterable<[Uint8Array, Uint8Array]> {
    let lo = range.gte;
    let hi = range.lt;
    if (range.prefix !== undefined) {
      if (lo === undefined || compareBytes(range.prefix, lo) > 0) lo = range.prefix;
      const end = prefixEnd(range.prefix);
      if (end !== undefined && (hi === undefined || compareBytes(end, hi) < 0)) hi = end;
    }
    const skip = this.prefix.length;
    const inner = this.db.iterate({
      gte: lo === undefined ? this.prefix : concatBytes(this.prefix, lo),
      lt: hi === undefined ? this.bucketEnd : concatBytes(this.prefix, hi),
      ...(range.reverse ? { reverse: true } : {}),
    });
    return {
      async *[Symbol.asyncIterator]() {
        for await (const [k, v] of inner) yield [k.subarray(skip), v];
      },
    };
  }

  write(kv: KvBatch): Promise<void> {
    const capture = this.capture;
    if (capture === undefined) {
      const batch = new WriteBatch();
      this.stage(batch, kv);
      return this.db.write(batch);
    }
    this.capture = undefined;
    return new Promise<void>((resolve, reject) => {
      // Puts before dels: the KvStore rule "a key both put and deleted ends deleted".
      this.stage(capture.batch, kv);
      capture.batch.onWritten((err) => (err === undefined ? resolve() : reject(err)));
      capture.staged();
    });
  }

  /** Adds a KvBatch's puts then dels to a controller batch (no hooks, no capture). */
  stage(batch: WriteBatch, kv: KvBatch): void {
    for (const [k, v] of unpackedPuts(kv)) batch.putRaw(concatBytes(this.prefix, k), v);
    for (const k of kv.dels) batch.delRaw(concatBytes(this.prefix, k));
  }

  /**
   * Routes the next `write` into `batch`. The returned promise resolves once that write has
   * been staged (its own promise then waits for `db.write(batch)`). `cancelCapture` undoes
   * it when the commit ends without writing. Exactly one write is captured: the
   * authenticated store writes once per commit, and a second write would go straight to
   * the database outside the block's batch.
   */
  captureNextWrite(batch: WriteBatch): Promise<void> {
    if (this.capture !== undefined) throw new Error("state kv: a capture is already pending");
    return new Promise<void>((resolve) => {
      this.capture = { batch, staged: resolve };
    });
  }

  cancelCapture(): void {
    this.capture = undefined;
  }

  get capturePending(): boolean {
    return this.capture !== undefined;
  }
}

/**
 * Commits a block atomically with the state: `batch` already holds the block-store,
 * results, tx-index and meta ops; `appCommit` is the application's commit (which writes
 * through `stateKv`). Its state write joins `batch`, one `db.write` persists everything,
 * and the app's commit resolves only after that. If the app fails before writing, nothing
 * is written and its error propagates; if the app commits without writing state, the
 * batch is written alone.
 */
export async function commitWithState<T>(
  db: DatabaseController,
  batch: WriteBatch,
  stateKv: StateKvStore,
  appCommit: () => Promise<T>,
): Promise<T> {
  const staged = stateKv.captureNextWrite(batch);
  let commitP: Promise<T>;
  try {
    commitP = appCommit();
  } catch (e) {
    stateKv.cancelCapture();
    throw e;
  }
  // Either the app stages its write (then we write the batch) or it settles first.
  const first = await Promise.race([
    staged.then(() => "staged" as const),
    commitP.then(
      () => "done" as const,
      () => "failed" as const,
    ),
  ]);
  if (first !== "staged") {
    stateKv.cancelCapture();
    if (first === "failed") {
      batch.settle(new Error("app commit failed"));
      return commitP;
    }
  }
  try {
    await db.write(batch);
  } catch (e) {
    // The app's write promise rejects through the batch hook; surface the db error.
    await commitP.catch(() => undefined);
    throw e;
  }
  return commitP;
}
