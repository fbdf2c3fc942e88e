/**
 * The consensus block store over LevelDB: blocks and commits (node/db CodecBlockStore with
 * the consensus wire codec), plus each height's FinalizeBlock response and the tx index,
 * saved in one batch before the application commits (as CometBFT saves its
 * FinalizeBlockResponse), so the RPC can serve block_results and tx, and recovery can read
 * what a height produced.
 */

import type { BlockStore as ConsensusBlockStore, StoredBlock } from "../consensus/blockStore.js";
import { type Block, blockHash, txHashes } from "../consensus/types/block.js";
import type { Commit } from "../consensus/types/commit.js";
import { commitToCbor } from "../consensus/types/commit.js";
import { blockFromCbor, blockToCbor, commitFromCbor } from "../consensus/types/messages.js";
import type { FinalizeBlockResponse } from "../lib/abci.js";
import { decodeTrusted, encode } from "../lib/cbor.js";
import { CodecBlockStore, type NodeDb } from "./db/index.js";
import { decodeResults, encodeResults } from "./resultsCodec.js";

/**
 * Crash points for fault tests (never set in production): PERPETUA_CRASH_POINT =
 * "block-saved:H" exits the process right after block H's batch is durable (before the app
 * runs it), "results-saved:H" right after H's results are durable (before the app commits).
 */
const CRASH = /^(block-saved|results-saved):(\d+)$/.exec(process.env.PERPETUA_CRASH_POINT ?? "");

function crashPoint(point: string, height: number): void {
  if (CRASH && CRASH[1] === point && Number(CRASH[2]) === height) process.exit(86);
}

export class NodeBlockStore implements ConsensusBlockStore {
  private readonly recent = new Map<number, FinalizeBlockResponse>();

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
    crashPoint("block-saved", block.header.height);
  }

  async saveFinalizeResult(height: number, result: FinalizeBlockResponse): Promise<void> {
    const batch = this.db.batch();
    batch.put(this.db.results, height, encodeResults(result));
    const stored = this.load(height);
    if (stored) {
      const hashes = txHashes(stored.block.txs);
      for (let i = 0; i < hashes.length; i++)
        batch.put(this.db.txIndex, hashes[i], { height, index: i });
    }
    await this.db.write(batch);
    crashPoint("results-saved", height);
    this.recent.set(height, result);
    if (this.recent.size > 64) this.recent.delete(this.recent.keys().next().value as number);
  }

  loadFinalizeResult(height: number): FinalizeBlockResponse | null {
    const hit = this.recent.get(height);
    if (hit) return hit;
    const bytes = this.db.results.getSync(height);
    return bytes ? decodeResults(bytes) : null;
  }
}
