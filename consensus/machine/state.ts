/**
 * The round state of one process at one height: the variables of Algorithm 1 (arXiv
 * 1807.04938: h_p, round_p, step_p, lockedValue_p, lockedRound_p, validValue_p,
 * validRound_p) plus the messages received at this height and the "for the first time"
 * guards of lines 34, 36 and 47. Immutable plain data.
 */
import type { Block } from "../types/block.js";
import type { Proposal } from "../types/proposal.js";
import type { ValidatorSet } from "../types/validatorSet.js";
import type { TimeoutConfig } from "./timeouts.js";
import { emptyTally, type VoteTally } from "./voteTally.js";

/** `newHeight`: waiting for timeoutCommit before round 0; `commit`: decided, app running. */
export type Step = "newHeight" | "propose" | "prevote" | "precommit" | "commit";

export interface ProposalEntry {
  readonly proposal: Proposal;
  readonly block: Block;
}

export interface KnownBlock {
  readonly block: Block;
  /** valid(v) of the paper: structure, signatures, lastCommit, evidence and processProposal. */
  readonly valid: boolean;
}

export interface RoundVotes {
  readonly prevotes: VoteTally;
  readonly precommits: VoteTally;
  /** Power of distinct validators with any vote in this round (line 55's f+1 test). */
  readonly senderPower: number;
}

export interface MachineState {
  readonly chainId: string;
  readonly timeouts: TimeoutConfig;
  readonly height: number;
  readonly round: number;
  readonly step: Step;
  readonly validators: ValidatorSet;
  /** This process's validator index, -1 for a non-validator (it follows but never votes). */
  readonly myIndex: number;
  readonly lockedRound: number;
  readonly lockedBlock: Block | null;
  readonly validRound: number;
  readonly validBlock: Block | null;
  /** The first proposal from the round's proposer, per round. */
  readonly proposals: ReadonlyMap<number, ProposalEntry>;
  /** Blocks seen at this height, by hash hex. */
  readonly blocks: ReadonlyMap<string, KnownBlock>;
  readonly rounds: ReadonlyMap<number, RoundVotes>;
  /** Last round where line 34 (schedule timeoutPrevote) fired; -1 none. */
  readonly prevoteWaitRound: number;
  /** Last round where line 36 (lock / validValue) fired. */
  readonly line36Round: number;
  /** Last round where line 47 (schedule timeoutPrecommit) fired. */
  readonly precommitWaitRound: number;
}

export function emptyRoundVotes(n: number): RoundVotes {
  return { prevotes: emptyTally(n), precommits: emptyTally(n), senderPower: 0 };
}

export interface HeightParams {
  readonly chainId: string;
  readonly timeouts: TimeoutConfig;
  readonly height: number;
  readonly validators: ValidatorSet;
  readonly myIndex: number;
}

/** The state at the start of a height, before timeoutCommit starts round 0. */
export function heightState(p: HeightParams): MachineState {
  return {
    chainId: p.chainId,
    timeouts: p.timeouts,
    height: p.height,
    round: 0,
    step: "newHeight",
    validators: p.validators,
    myIndex: p.myIndex,
    lockedRound: -1,
    lockedBlock: null,
    validRound: -1,
    validBlock: null,
    proposals: new Map(),
    blocks: new Map(),
    rounds: new Map(),
    prevoteWaitRound: -1,
    line36Round: -1,
    precommitWaitRound: -1,
  };
}
