/**
 * Committed blocks with the commit that decided each (the node keeps them in LevelDB; the
 * simulator in memory). The driver saves a block before running it through the app, so
 * after a crash the block store is never behind the application.
 */
import type { FinalizeBlockResponse } from "../lib/abci.js";
import type { CrashHook } from "./crash.js";
import type { Block } from "./types/block.js";
import type { Commit } from "./types/commit.js";

export interface StoredBlock {
  readonly block: Block;
  readonly commit: Commit;
}

export interface BlockStore {
  /** Highest stored height, 0 when empty. */
  height(): number;
  load(height: number): StoredBlock | null;
  /** Durable when the promise resolves. */
  save(block: Block, commit: Commit): Promise<void>;
  /**
   * The application's FinalizeBlock response for `height` (tx results, events, validator
   * updates, app hash), saved before the app commits, as CometBFT saves its
   * FinalizeBlockResponse: after a crash the app may be past a height it cannot re-execute,
   * yet the validator sets of later heights depend on that height's updates (and the node's
   * RPC serves the results as block_results).
   *
   * Optional: a store without them works while the app never returns validator updates
   * (the driver halts with a ConsensusError if it does, rather than lose them).
   */
  saveFinalizeResult?(height: number, result: FinalizeBlockResponse): Promise<void>;
  loadFinalizeResult?(height: number): FinalizeBlockResponse | null;
  /**
   * Makes a finalized height durable in ONE atomic write: the block, its commit, the
   * FinalizeBlock response and the state changes the application persists during
   * `appCommit` (which resolves once they are durable). When present the driver calls it
   * instead of save → finalizeBlock → saveFinalizeResult → commit, so a crash leaves the
   * whole height or none of it (the node then decides it again from its WAL, or fetches it
   * by block sync). Never called for a height already stored.
   */
  commitHeight?(
    block: Block,
    commit: Commit,
    result: FinalizeBlockResponse,
    appCommit: () => Promise<unknown>,
  ): Promise<void>;
}

export class MemoryBlockStore implements BlockStore {
  private readonly blocks = new Map<number, StoredBlock>();
  private top = 0;
  private readonly results = new Map<number, FinalizeBlockResponse>();
  crashHook: CrashHook | undefined;

  height(): number {
    return this.top;
  }

  load(height: number): StoredBlock | null {
    return this.blocks.get(height) ?? null;
  }

  async save(block: Block, commit: Commit): Promise<void> {
    const h = block.header.height;
    this.blocks.set(h, { block, commit });
    if (h > this.top) this.top = h;
    this.crashHook?.("commit:afterBlockSave");
  }

  async saveFinalizeResult(height: number, result: FinalizeBlockResponse): Promise<void> {
    this.results.set(height, result);
  }

  loadFinalizeResult(height: number): FinalizeBlockResponse | null {
    return this.results.get(height) ?? null;
  }
}
