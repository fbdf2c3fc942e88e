/**
 * Inputs and outputs of the machine. Events are facts the driver has already checked:
 * signatures, that a proposal comes from the round's proposer, and the validity of the
 * block (including the application's processProposal and verifyVoteExtension). Effects
 * are requests the driver carries out: the ABCI++ calls that need the application
 * (prepareProposal via `propose`, extendVote via a precommit `vote`, finalizeBlock and
 * commit via `decide`), signing, broadcasting and timers.
 */
import type { Block } from "../types/block.js";
import type { Commit } from "../types/commit.js";
import type { DuplicateVoteEvidence } from "../types/evidence.js";
import type { Proposal } from "../types/proposal.js";
import type { ValidatorSet } from "../types/validatorSet.js";
import type { Vote, VoteType } from "../types/vote.js";
import type { TimeoutStep } from "./timeouts.js";

export type MachineEvent =
  | {
      readonly kind: "proposal";
      readonly proposal: Proposal;
      readonly block: Block;
      readonly valid: boolean;
    }
  | { readonly kind: "vote"; readonly vote: Vote }
  | {
      readonly kind: "timeout";
      readonly height: number;
      readonly round: number;
      readonly step: TimeoutStep;
    }
  /** Block sync: a block of the current height with a verified +2/3 commit. */
  | { readonly kind: "synced"; readonly block: Block; readonly commit: Commit }
  /** The driver finished finalizeBlock + commit of the decided block: go to the next height. */
  | {
      readonly kind: "committed";
      readonly height: number;
      readonly nextValidators: ValidatorSet;
      /** Our index in nextValidators (-1: not a validator at the next height). */
      readonly myIndex: number;
    };

export type Effect =
  /** Line 14-19: broadcast a proposal (validBlock when set, else a new block from the app). */
  | {
      readonly kind: "propose";
      readonly height: number;
      readonly round: number;
      readonly validRound: number;
      readonly validBlock: Block | null;
    }
  /** Sign and broadcast a vote; a precommit for a block needs the app's vote extension. */
  | {
      readonly kind: "vote";
      readonly type: VoteType;
      readonly height: number;
      readonly round: number;
      readonly blockHash: Uint8Array;
      readonly block: Block | null;
    }
  | {
      readonly kind: "timeout";
      readonly height: number;
      readonly round: number;
      readonly step: TimeoutStep;
      readonly durationMs: number;
    }
  /** Line 49: decision[h] = v. The driver runs finalizeBlock, commit, then `committed`. */
  | {
      readonly kind: "decide";
      readonly height: number;
      readonly block: Block;
      readonly commit: Commit;
    }
  /** A validator signed two different votes for one (height, round, type). */
  | { readonly kind: "evidence"; readonly evidence: DuplicateVoteEvidence };

export interface Transition<S> {
  readonly state: S;
  readonly effects: readonly Effect[];
}
