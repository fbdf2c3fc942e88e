/**
 * The consensus driver's block store (consensus/blockStore.ts: synchronous `height()` and
 * `load()`, durable `save()`) over the node database. The codec is injected, so this file
 * does not depend on the consensus wire format: the node passes the block/commit encoders
 * that consensus/types provides.
 *
 * `load` is synchronous because the driver's loop is; classic-level's `getSync` reads
 * LevelDB directly (memtable or block cache, else one disk read).
 */
import type { Logger } from "pino";
import { type BlockRecord, BlockStore } from "./blockStore.js";
import { ChainMetaRepository } from "./chainMeta.js";
import { type DatabaseController, WriteBatch } from "./controller.js";
import { DbError } from "./errors.js";

export interface BlockCodec<B, C> {
  encodeBlock(block: B): Uint8Array;
  decodeBlock(bytes: Uint8Array): B;
  encodeCommit(commit: C): Uint8Array;
  decodeCommit(bytes: Uint8Array): C;
  heightOf(block: B): number;
  hashOf(block: B): Uint8Array;
}

export class CodecBlockStore<B, C> {
  private readonly store: BlockStore;
  private readonly meta: ChainMetaRepository;
  private top: number;

  private constructor(
    private readonly db: DatabaseController,
    private readonly codec: BlockCodec<B, C>,
    top: number,
    private readonly logger?: Logger,
  ) {
    this.store = new BlockStore(db);
    this.meta = new ChainMetaRepository(db);
    this.top = top;
  }

  static async open<B, C>(
    db: DatabaseController,
    codec: BlockCodec<B, C>,
    deps: { logger?: Logger } = {},
  ): Promise<CodecBlockStore<B, C>> {
    const top = await new BlockStore(db).height();
    return new CodecBlockStore(db, codec, top, deps.logger);
  }

  /** Highest stored height, 0 when empty. */
  height(): number {
    return this.top;
  }

  load(height: number): { block: B; commit: C } | null {
    const b = this.store.getBlockSync(height);
    if (b === undefined) return null;
    const c = this.store.getCommitSync(height);
    if (c === undefined) {
      throw new DbError("DB_CORRUPT", `block ${height} is stored without its commit`);
    }
    return { block: this.codec.decodeBlock(b), commit: this.codec.decodeCommit(c) };
  }

  /** The record `save` writes (and `NodeDb.commitBlock` stages with the rest of a height). */
  record(block: B, commit: C): BlockRecord {
    const commitBytes = this.codec.encodeCommit(commit);
    return {
      height: this.codec.heightOf(block),
      hash: this.codec.hashOf(block),
      block: this.codec.encodeBlock(block),
      commit: commitBytes,
      seenCommit: commitBytes,
    };
  }

  /** Block, hash index, commit (also as seen commit) and last height in one fsynced batch. */
  async save(block: B, commit: C): Promise<void> {
    const rec = this.record(block, commit);
    const batch = new WriteBatch();
    this.store.stage(batch, rec);
    if (rec.height >= this.top) this.meta.stageLastBlockHeight(batch, rec.height);
    await this.db.write(batch);
    this.saved(rec.height);
  }

  /** Records that `height` was written by a batch this store did not write itself. */
  saved(height: number): void {
    if (height > this.top) this.top = height;
    this.logger?.debug({ height }, "block saved");
  }
}
