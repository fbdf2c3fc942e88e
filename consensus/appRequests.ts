/**
 * Translations from consensus types to the Application's requests (lib/abci.ts): the block
 * as the app sees it, the extended commit info (ExtendedVoteInfo per validator of the
 * previous height, `committed` for those whose precommit for the block is in the commit),
 * and duplicate-vote evidence as Misbehavior.
 */
import type { BlockRequest, ExtendedCommitInfo, Misbehavior } from "../lib/abci.js";
import { type Block, blockHash } from "./types/block.js";
import type { Commit } from "./types/commit.js";
import type { DuplicateVoteEvidence } from "./types/evidence.js";
import type { ValidatorSet } from "./types/validatorSet.js";

const EMPTY = new Uint8Array(0);

export function extendedCommitInfo(
  commit: Commit | null,
  set: ValidatorSet | null,
): ExtendedCommitInfo {
  if (!commit || !set) return { height: 0, round: 0, votes: [] };
  const byIndex = new Map(commit.sigs.map((s) => [s.validatorIndex, s]));
  return {
    height: commit.height,
    round: commit.round,
    votes: set.validators.map((v, i) => {
      const s = byIndex.get(i);
      return {
        validator: { address: v.address, pubKey: v.pubKey, power: v.power },
        voteExtension: s ? s.extension : EMPTY,
        extensionSignature: s ? s.extensionSignature : EMPTY,
        committed: s !== undefined,
      };
    }),
  };
}

export function misbehaviors(
  evidence: readonly DuplicateVoteEvidence[],
  set: ValidatorSet,
  timeMs: number,
): Misbehavior[] {
  return evidence.map((e) => ({
    kind: "duplicate_vote",
    validatorAddress: e.voteA.validatorAddress,
    height: e.voteA.height,
    // The time of the block that carries the evidence: every node knows it (block time at
    // the evidence height would need a block-store lookup that a synced node may lack).
    timeMs,
    totalVotingPower: set.totalPower,
  }));
}

export function blockRequest(
  block: Block,
  prevSet: ValidatorSet | null,
  set: ValidatorSet,
): BlockRequest {
  return {
    height: block.header.height,
    timeMs: block.header.timeMs,
    hash: blockHash(block),
    proposerAddress: block.header.proposerAddress,
    txs: block.txs,
    localLastCommit: extendedCommitInfo(block.lastCommit, prevSet),
    misbehavior: misbehaviors(block.evidence, set, block.header.timeMs),
  };
}
