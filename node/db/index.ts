/**
 * The node database: one controller, the repositories over it, and the block commit that
 * writes a block, its results, its tx index entries, the state changes and the chain meta
 * in ONE atomic batch (so a crash leaves either the whole height or none of it).
 *
 *   const db = await NodeDb.open({ path: join(home, "data", "chain") }, { logger });
 *   const store = await AuthenticatedStore.open(db.state);   // state/store over LevelDB
 *   ...
 *   await db.commitBlock({ block, results, txHashes, appHash }, () => app.commit());
 */
import type { Logger } from "pino";
import { BlockResultsRepository } from "./blockResults.js";
import { type BlockRecord, BlockStore } from "./blockStore.js";
import { ChainMetaRepository } from "./chainMeta.js";
import { type DatabaseController, WriteBatch, type WriteOptions } from "./controller.js";
import { LevelDbController } from "./level.js";
import { MemoryDbController } from "./memory.js";
import { EvidenceRepository, SignerStateRepository } from "./signerState.js";
import { commitWithState, StateKvStore } from "./stateKv.js";
import { TxIndexRepository } from "./txIndex.js";

export { BlockResultsRepository } from "./blockResults.js";
export { BlockHashIndexRepository, type BlockRecord, BlockStore } from "./blockStore.js";
export { BUCKET_NAMES, Bucket } from "./buckets.js";
export { type AppStateRecord, ChainMetaRepository } from "./chainMeta.js";
export { type BlockCodec, CodecBlockStore } from "./codecBlockStore.js";
export {
  type DatabaseController,
  type DbOp,
  type DbRange,
  decodeHeight,
  encodeHeight,
  WriteBatch,
  type WriteOptions,
} from "./controller.js";
export { DbError, type DbErrorCode, isDbError } from "./errors.js";
export { LevelDbController } from "./level.js";
export { MemoryDbController } from "./memory.js";
export {
  BytesRepository,
  HeightBytesRepository,
  type RepoRange,
  Repository,
} from "./repository.js";
export { EvidenceRepository, SignerStateRepository } from "./signerState.js";
export { commitWithState, StateKvStore } from "./stateKv.js";
export { TxIndexRepository, type TxLocation } from "./txIndex.js";

/** Everything that makes a height durable, except the state changes (the app writes those). */
export interface BlockCommit extends BlockRecord {
  /** finalizeBlock results, encoded by the node. */
  results: Uint8Array;
  /** Hashes of the block's transactions, in block order (index = position). */
  txHashes: readonly Uint8Array[];
  /** The app hash finalizeBlock returned for this height. */
  appHash: Uint8Array;
}

export class NodeDb {
  readonly blockStore: BlockStore;
  readonly results: BlockResultsRepository;
  readonly txIndex: TxIndexRepository;
  readonly meta: ChainMetaRepository;
  /** The KvStore to open state/store's AuthenticatedStore on. */
  readonly state: StateKvStore;
  readonly signer: SignerStateRepository;
  readonly evidence: EvidenceRepository;

  constructor(
    readonly controller: DatabaseController,
    private readonly logger?: Logger,
  ) {
    this.blockStore = new BlockStore(controller);
    this.results = new BlockResultsRepository(controller);
    this.txIndex = new TxIndexRepository(controller);
    this.meta = new ChainMetaRepository(controller);
    this.state = new StateKvStore(controller);
    this.signer = new SignerStateRepository(controller);
    this.evidence = new EvidenceRepository(controller);
  }

  /** LevelDB in `path` (created with mode 0700 if missing). */
  static async open(opts: { path: string }, deps: { logger?: Logger } = {}): Promise<NodeDb> {
    return new NodeDb(await LevelDbController.open(opts, deps), deps.logger);
  }

  static inMemory(): NodeDb {
    return new NodeDb(new MemoryDbController());
  }

  batch(): WriteBatch {
    return new WriteBatch();
  }

  write(batch: WriteBatch, opts?: WriteOptions): Promise<void> {
    return this.controller.write(batch, opts);
  }

  /** Adds a height's block-store, results, tx-index and meta ops to `batch`. */
  stageBlock(batch: WriteBatch, c: BlockCommit): void {
    this.blockStore.stage(batch, c);
    batch.put(this.results, c.height, c.results);
    c.txHashes.forEach((hash, index) => {
      batch.put(this.txIndex, hash, { height: c.height, index });
    });
    this.meta.stageLastBlockHeight(batch, c.height);
    this.meta.stageAppState(batch, { height: c.height, appHash: c.appHash });
  }

  /**
   * Persists the height in one atomic, fsynced batch together with the state changes the
   * app writes during `appCommit` (through `this.state`). Resolves with the app's commit
   * result once everything is durable; on failure nothing of this height was written.
   */
  async commitBlock<T>(c: BlockCommit, appCommit: () => Promise<T>): Promise<T> {
    const batch = this.batch();
    this.stageBlock(batch, c);
    const result = await commitWithState(this.controller, batch, this.state, appCommit);
    this.logger?.debug(
      { height: c.height, ops: batch.length, bytes: batch.byteLength },
      "committed block batch",
    );
    return result;
  }

  close(): Promise<void> {
    return this.controller.close();
  }
}
