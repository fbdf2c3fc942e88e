/**
 * Blocks, the block-hash index and commits. Values are opaque bytes (the consensus codec
 * owns the encoding); this file only decides where they live and that a block's entries
 * land together. CometBFT keeps the same four: block by height, hash -> height, the commit
 * that decided each height, and the latest "seen commit" (the +2/3 precommits this node saw
 * for the tip, which the next block's LastCommit will later carry canonically).
 */
import { Bucket } from "./buckets.js";
import {
  type DatabaseController,
  decodeHeight,
  encodeHeight,
  type WriteBatch,
} from "./controller.js";
import { DbError } from "./errors.js";
import { HeightBytesRepository, Repository } from "./repository.js";

export class BlockHashIndexRepository extends Repository<Uint8Array, number> {
  encodeKey(hash: Uint8Array): Uint8Array {
    return hash;
  }
  decodeKey(bytes: Uint8Array): Uint8Array {
    return bytes.slice();
  }
  encodeValue(height: number): Uint8Array {
    return encodeHeight(height);
  }
  decodeValue(bytes: Uint8Array): number {
    return decodeHeight(bytes);
  }
}

/** One block's worth of block-store data, as the node has it when it commits a height. */
export interface BlockRecord {
  height: number;
  hash: Uint8Array;
  block: Uint8Array;
  /** The commit that decided this block (precommits for `hash`). */
  commit: Uint8Array;
  /** When set, replaces the stored seen commit (only the latest is kept, as CometBFT). */
  seenCommit?: Uint8Array;
}

export class BlockStore {
  readonly blocks: HeightBytesRepository;
  readonly hashes: BlockHashIndexRepository;
  readonly commits: HeightBytesRepository;
  readonly seenCommits: HeightBytesRepository;

  constructor(db: DatabaseController) {
    this.blocks = new HeightBytesRepository(db, Bucket.Block);
    this.hashes = new BlockHashIndexRepository(db, Bucket.BlockHashToHeight);
    this.commits = new HeightBytesRepository(db, Bucket.Commit);
    this.seenCommits = new HeightBytesRepository(db, Bucket.SeenCommit);
  }

  /** Adds the block, its hash index entry and its commit(s) to the batch. */
  stage(batch: WriteBatch, rec: BlockRecord): void {
    encodeHeight(rec.height); // validates before anything is staged
    if (rec.hash.length === 0) throw new DbError("DB_INVALID_KEY", "block hash must not be empty");
    batch.put(this.blocks, rec.height, rec.block);
    batch.put(this.hashes, rec.hash, rec.height);
    batch.put(this.commits, rec.height, rec.commit);
    if (rec.seenCommit !== undefined) {
      batch.put(this.seenCommits, rec.height, rec.seenCommit);
      if (rec.height > 0) batch.del(this.seenCommits, rec.height - 1);
    }
  }

  getBlock(height: number): Promise<Uint8Array | undefined> {
    return this.blocks.get(height);
  }

  getBlockSync(height: number): Uint8Array | undefined {
    return this.blocks.getSync(height);
  }

  async getBlockByHash(
    hash: Uint8Array,
  ): Promise<{ height: number; block: Uint8Array } | undefined> {
    const height = await this.hashes.get(hash);
    if (height === undefined) return undefined;
    const block = await this.blocks.get(height);
    if (block === undefined) {
      throw new DbError("DB_CORRUPT", `block hash index points at missing height ${height}`);
    }
    return { height, block };
  }

  heightOf(hash: Uint8Array): Promise<number | undefined> {
    return this.hashes.get(hash);
  }

  getCommit(height: number): Promise<Uint8Array | undefined> {
    return this.commits.get(height);
  }

  getCommitSync(height: number): Uint8Array | undefined {
    return this.commits.getSync(height);
  }

  getSeenCommit(height: number): Promise<Uint8Array | undefined> {
    return this.seenCommits.get(height);
  }

  /** Lowest stored height (0 when empty): above 1 once old blocks are pruned. */
  async base(): Promise<number> {
    return (await this.blocks.firstKey()) ?? 0;
  }

  /** Highest stored height (0 when empty). */
  async height(): Promise<number> {
    return (await this.blocks.lastKey()) ?? 0;
  }

  /** Blocks in height order from `from` (inclusive) up to `to` (exclusive), for block sync. */
  range(from: number, to?: number): AsyncIterable<[number, Uint8Array]> {
    return this.blocks.entries({ gte: from, ...(to !== undefined ? { lt: to } : {}) });
  }
}
