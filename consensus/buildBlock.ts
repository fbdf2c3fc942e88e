/**
 * The proposer's block (Algorithm 1 line 18, getValue()): header fields from the height
 * context, the time by BFT time from the last commit, the txs the application chose in
 * prepareProposal, and pending evidence.
 */
import { encode } from "../lib/cbor.js";
import type { HeightContext } from "./heightContext.js";
import { type Block, dataHash } from "./types/block.js";
import { medianTime } from "./types/blockTime.js";
import { commitHash } from "./types/commit.js";
import { type DuplicateVoteEvidence, evidenceListHash } from "./types/evidence.js";
import { validatorsHash } from "./types/validatorSet.js";

export function blockTimeFor(ctx: HeightContext): number {
  if (ctx.height === ctx.initialHeight || !ctx.lastCommit || !ctx.prevValidators) {
    return ctx.genesisTimeMs;
  }
  return medianTime(ctx.lastCommit, ctx.prevValidators);
}

export function buildBlock(
  ctx: HeightContext,
  proposerAddress: Uint8Array,
  txs: readonly Uint8Array[],
  evidence: readonly DuplicateVoteEvidence[],
): Block {
  return {
    header: {
      chainId: ctx.chainId,
      height: ctx.height,
      timeMs: blockTimeFor(ctx),
      lastBlockHash: ctx.lastBlockHash,
      lastCommitHash: commitHash(ctx.lastCommit),
      dataHash: dataHash(txs),
      validatorsHash: validatorsHash(ctx.validators),
      nextValidatorsHash: validatorsHash(ctx.nextValidators),
      appHash: ctx.appHash,
      proposerAddress,
      evidenceHash: evidenceListHash(evidence),
    },
    txs: [...txs],
    lastCommit: ctx.lastCommit,
    evidence: [...evidence],
  };
}

/** Size of the txs for maxBlockBytes accounting. */
export function txsBytes(txs: readonly Uint8Array[]): number {
  return encode(txs).length;
}
