/**
 * The consensus block store over LevelDB: blocks and commits (node/db CodecBlockStore with
 * the consensus wire codec), each height's FinalizeBlock response and the tx index. A
 * height the node decides is written by `commitHeight` in one atomic batch with the
 * application's state; the RPC serves block_results and tx from it.
 */

import type { BlockStore as ConsensusBlockStore, StoredBlock } from "../consensus/blockStore.js";
import { type Block, blockHash, txHashes } from "../consensus/types/block.js";
import type { Commit } from "../consensus/types/commit.js";
import { commitToCbor } from "../consensus/types/commit.js";
import { blockFromCbor, blockToCbor, commitFromCbor } from "../consensus/types/messages.js";
import type { ExecTxResult, FinalizeBlockResponse } from "../lib/abci.js";
import { BoundedMap } from "../lib/boundedMap.js";
import { decodeTrusted, encode } from "../lib/cbor.js";
import { CodecBlockStore, type NodeDb } from "./db/index.js";
import { decodeResults, decodeTxResultAt, encodeResults } from "./resultsCodec.js";

/**
 * Crash points for fault tests (never set in production): PERPETUA_CRASH_POINT =
 * "before-batch:H" exits the process after the app finalized block H in memory, before the
 * height's batch is written (the node has nothing of H on restart); "after-batch:H" right
 * after the batch is durable, before the consensus WAL's end-of-height marker.
 */
const CRASH = /^(before-batch|after-batch):(\d+)$/.exec(process.env.PERPETUA_CRASH_POINT ?? "");

function crashPoint(point: string, height: number): void {
  if (CRASH && CRASH[1] === point && Number(CRASH[2]) === height) process.exit(86);
}

/**
 * The decoded results of the latest heights are kept for the RPC and the subscriptions that
 * read them right after a commit, up to RECENT_RESULTS_BYTES of their encoding (and at most
 * RECENT_RESULTS_MAX heights). A count alone was not a bound: at devnet load a height's
 * results hold ~17,000 order results and events, and 64 of them kept ~400 MB alive, which
 * every full garbage collection then marked. Older heights are decoded from LevelDB.
 */
const RECENT_RESULTS_BYTES = 8 << 20;
const RECENT_RESULTS_MAX = 64;

export class NodeBlockStore implements ConsensusBlockStore {
  private readonly recent = new BoundedMap<number, FinalizeBlockResponse>(
    RECENT_RESULTS_MAX,
    RECENT_RESULTS_BYTES,
  );

  private constructor(
    private readonly db: NodeDb,
    private readonly blocks: CodecBlockStore<Block, Commit>,
  ) {}

  static async open(db: NodeDb): Promise<NodeBlockStore> {
    const blocks = await CodecBlockStore.open<Block, Commit>(db.controller, {
      encodeBlock: (b) => encode(blockToCbor(b)),
      decodeBlock: (bytes) => blockFromCbor(decodeTrusted(bytes)),
      encodeCommit: (c) => encode(commitToCbor(c)),
      decodeCommit: (bytes) => commitFromCbor(decodeTrusted(bytes)),
      heightOf: (b) => b.header.height,
      hashOf: (b) => blockHash(b),
    });
    return new NodeBlockStore(db, blocks);
  }

  height(): number {
    return this.blocks.height();
  }

  load(height: number): StoredBlock | null {
    return this.blocks.load(height);
  }

  async save(block: Block, commit: Commit): Promise<void> {
    await this.blocks.save(block, commit);
  }

  /**
   * The block, its commit, its results, the tx index, the chain meta and the application's
   * state changes (written by `appCommit` through the node database's state bucket) in one
   * fsynced LevelDB batch (NodeDb.commitBlock).
   */
  async commitHeight(
    block: Block,
    commit: Commit,
    result: FinalizeBlockResponse,
    appCommit: () => Promise<unknown>,
  ): Promise<void> {
    const height = block.header.height;
    crashPoint("before-batch", height);
    const results = encodeResults(result);
    await this.db.commitBlock(
      {
        ...this.blocks.record(block, commit),
        results,
        txHashes: txHashes(block.txs),
        appHash: result.appHash,
      },
      appCommit,
    );
    this.blocks.saved(height);
    this.recent.set(height, result, results.length);
    crashPoint("after-batch", height);
  }

  /** Results of a height whose block is already stored (the handshake's replay). */
  async saveFinalizeResult(height: number, result: FinalizeBlockResponse): Promise<void> {
    const batch = this.db.batch();
    const results = encodeResults(result);
    batch.put(this.db.results, height, results);
    const stored = this.load(height);
    if (stored) {
      const hashes = txHashes(stored.block.txs);
      for (let i = 0; i < hashes.length; i++)
        batch.put(this.db.txIndex, hashes[i], { height, index: i });
    }
    await this.db.write(batch);
    this.recent.set(height, result, results.length);
  }

  /** Heights whose decoded results are held in memory (tests, metrics). */
  recentHeights(): number[] {
    return this.recent.keys();
  }

  /** Whether the results of `height` are stored, without decoding them. */
  hasFinalizeResult(height: number): boolean {
    return this.recent.has(height) || this.db.results.getSync(height) !== undefined;
  }

  /**
   * One transaction's result: from the decoded heights in memory, else read alone out of the
   * stored results (decodeTxResultAt) rather than decoding the whole height.
   */
  loadTxResult(height: number, index: number): ExecTxResult | null {
    const hit = this.recent.get(height);
    if (hit) return hit.txResults[index] ?? null;
    const bytes = this.db.results.getSync(height);
    return bytes ? (decodeTxResultAt(bytes, index) ?? null) : null;
  }

  loadFinalizeResult(height: number): FinalizeBlockResponse | null {
    const hit = this.recent.get(height);
    if (hit) return hit;
    const bytes = this.db.results.getSync(height);
    return bytes ? decodeResults(bytes) : null;
  }
}
