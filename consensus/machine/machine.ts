/**
 * The Tendermint round state machine as a reducer: `step(state, event) -> { state, effects }`.
 * Line numbers refer to Algorithm 1 of "The latest gossip on BFT consensus" (Buchman, Kwon,
 * Milosevic, arXiv 1807.04938). After every event the `upon` rules are evaluated until none
 * fires, so the order in which messages arrive does not matter, only the set received.
 *
 * Deviations from the paper, all of them CometBFT's:
 *  - the proposer also schedules timeoutPropose, so a proposer that cannot propose (its
 *    signer refused after a crash) still moves on;
 *  - a block may be known from any proposal of the height: lines 36 and 49 need the block
 *    whose id got +2/3, not necessarily a proposal of that very round (the id binds it);
 *  - after a decision the height ends with timeoutCommit (step `newHeight`) and round 0
 *    starts when it expires, so late precommits can still reach the commit.
 * Pure: no clocks, randomness or I/O; the driver executes the effects.
 */
import { equalBytes, toHex } from "../../lib/bytes.js";
import type { Block } from "../types/block.js";
import { blockHash } from "../types/block.js";
import type { Commit, CommitSig } from "../types/commit.js";
import { newDuplicateVoteEvidence } from "../types/evidence.js";
import type { Proposal } from "../types/proposal.js";
import { hasOneThird, hasTwoThirds, proposerForRound } from "../types/validatorSet.js";
import { NIL, type Vote, VoteType } from "../types/vote.js";
import type { Effect, MachineEvent, Transition } from "./events.js";
import {
  emptyRoundVotes,
  type HeightParams,
  heightState,
  type MachineState,
  type RoundVotes,
} from "./state.js";
import { timeoutDuration } from "./timeouts.js";
import { addVote, twoThirdsMajority } from "./voteTally.js";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type S = Mutable<MachineState>;

/** A new height: the machine waits timeoutCommit, then starts round 0. */
export function startHeight(p: HeightParams): Transition<MachineState> {
  const state = heightState(p);
  return {
    state,
    effects: [
      {
        kind: "timeout",
        height: p.height,
        round: 0,
        step: "commit",
        durationMs: timeoutDuration(p.timeouts, "commit", 0),
      },
    ],
  };
}

export function step(state: MachineState, event: MachineEvent): Transition<MachineState> {
  const s: S = { ...state };
  const fx: Effect[] = [];
  switch (event.kind) {
    case "proposal":
      onProposal(s, event.proposal.round, event.proposal, event.block, event.valid);
      break;
    case "vote":
      onVote(s, event.vote, fx);
      break;
    case "timeout":
      onTimeout(s, event, fx);
      break;
    case "synced":
      if (s.step !== "commit" && event.block.header.height === s.height) {
        s.step = "commit";
        fx.push({ kind: "decide", height: s.height, block: event.block, commit: event.commit });
      }
      return { state: s, effects: fx };
    case "committed": {
      if (event.height !== s.height || s.step !== "commit") return { state, effects: [] };
      return startHeight({
        chainId: s.chainId,
        timeouts: s.timeouts,
        height: s.height + 1,
        validators: event.nextValidators,
        myIndex: event.myIndex,
      });
    }
  }
  evaluate(s, fx);
  return { state: s, effects: fx };
}

function isProposerOf(s: S, round: number): boolean {
  if (s.myIndex < 0) return false;
  const p = proposerForRound(s.validators, round);
  return equalBytes(p.address, s.validators.validators[s.myIndex].address);
}

function onProposal(s: S, round: number, proposal: Proposal, block: Block, valid: boolean): void {
  if (proposal.height !== s.height || s.step === "commit") return;
  const key = toHex(blockHash(block));
  if (!s.blocks.has(key)) {
    const blocks = new Map(s.blocks);
    blocks.set(key, { block, valid });
    s.blocks = blocks;
  }
  // The first proposal of a round counts; a second one is the proposer equivocating.
  if (!s.proposals.has(round)) {
    const proposals = new Map(s.proposals);
    proposals.set(round, { proposal, block });
    s.proposals = proposals;
  }
}

function roundVotes(s: S, round: number): RoundVotes {
  return s.rounds.get(round) ?? emptyRoundVotes(s.validators.validators.length);
}

function onVote(s: S, vote: Vote, fx: Effect[]): void {
  if (vote.height !== s.height || s.step === "commit") return;
  const val = s.validators.validators[vote.validatorIndex];
  if (!val) return;
  const rv = roundVotes(s, vote.round);
  const isPrevote = vote.type === VoteType.Prevote;
  const tally = isPrevote ? rv.prevotes : rv.precommits;
  const r = addVote(tally, vote, val.power);
  if (r.kind === "ignored") return;
  if (r.conflictsWith) {
    fx.push({ kind: "evidence", evidence: newDuplicateVoteEvidence(r.conflictsWith, vote) });
  }
  const newSender =
    rv.prevotes.votes[vote.validatorIndex] === undefined &&
    rv.precommits.votes[vote.validatorIndex] === undefined;
  const next: RoundVotes = {
    prevotes: isPrevote ? r.tally : rv.prevotes,
    precommits: isPrevote ? rv.precommits : r.tally,
    senderPower: rv.senderPower + (newSender ? val.power : 0),
  };
  const rounds = new Map(s.rounds);
  rounds.set(vote.round, next);
  s.rounds = rounds;
}

function onTimeout(s: S, e: Extract<MachineEvent, { kind: "timeout" }>, fx: Effect[]): void {
  if (e.height !== s.height) return;
  switch (e.step) {
    case "commit":
      if (s.step === "newHeight") startRound(s, 0, fx);
      return;
    case "propose":
      // Line 57: OnTimeoutPropose.
      if (e.round === s.round && s.step === "propose") {
        castVote(s, VoteType.Prevote, NIL, null, fx);
        s.step = "prevote";
      }
      return;
    case "prevote":
      // Line 61: OnTimeoutPrevote.
      if (e.round === s.round && s.step === "prevote") {
        castVote(s, VoteType.Precommit, NIL, null, fx);
        s.step = "precommit";
      }
      return;
    case "precommit":
      // Line 65: OnTimeoutPrecommit.
      if (e.round === s.round && s.step !== "commit" && s.step !== "newHeight") {
        startRound(s, s.round + 1, fx);
      }
      return;
  }
}

function castVote(s: S, type: VoteType, hash: Uint8Array, block: Block | null, fx: Effect[]): void {
  if (s.myIndex < 0) return;
  fx.push({ kind: "vote", type, height: s.height, round: s.round, blockHash: hash, block });
}

function scheduleTimeout(s: S, stepName: "propose" | "prevote" | "precommit", fx: Effect[]): void {
  fx.push({
    kind: "timeout",
    height: s.height,
    round: s.round,
    step: stepName,
    durationMs: timeoutDuration(s.timeouts, stepName, s.round),
  });
}

// Lines 11-21: StartRound.
function startRound(s: S, round: number, fx: Effect[]): void {
  s.round = round;
  s.step = "propose";
  if (isProposerOf(s, round)) {
    fx.push({
      kind: "propose",
      height: s.height,
      round,
      validRound: s.validRound,
      validBlock: s.validBlock,
    });
  }
  scheduleTimeout(s, "propose", fx);
}

function knownBlock(s: S, hashHex: string) {
  return hashHex === "" ? undefined : s.blocks.get(hashHex);
}

/** Applies every enabled `upon` rule until none fires. */
function evaluate(s: S, fx: Effect[]): void {
  const total = s.validators.totalPower;
  for (let guard = 0; guard < 1000; guard++) {
    if (s.step === "commit") return;
    // Line 49: +2/3 precommits for a block we hold and consider valid → decide.
    for (const [r, rv] of s.rounds) {
      const maj = twoThirdsMajority(rv.precommits, total);
      if (maj === null || maj === "") continue;
      const kb = knownBlock(s, maj);
      if (kb?.valid) {
        s.step = "commit";
        fx.push({
          kind: "decide",
          height: s.height,
          block: kb.block,
          commit: buildCommit(s, r, kb.block),
        });
        return;
      }
    }
    if (s.step === "newHeight") return;
    // Line 55: f+1 messages from a higher round → skip to the highest such round.
    let skipTo = -1;
    for (const [r, rv] of s.rounds) {
      if (r > s.round && r > skipTo && hasOneThird(rv.senderPower, total)) skipTo = r;
    }
    if (skipTo >= 0) {
      startRound(s, skipTo, fx);
      continue;
    }
    const rv = roundVotes(s, s.round);
    if (s.step === "propose") {
      const p = s.proposals.get(s.round);
      if (p) {
        const hashHex = toHex(p.proposal.blockHash);
        const kb = knownBlock(s, hashHex);
        const valid = kb?.valid === true;
        const lockedHex = s.lockedBlock ? toHex(blockHash(s.lockedBlock)) : "";
        const vr = p.proposal.polRound;
        if (vr === -1) {
          // Line 22.
          const yes = valid && (s.lockedRound === -1 || lockedHex === hashHex);
          castVote(s, VoteType.Prevote, yes ? p.proposal.blockHash : NIL, yes ? p.block : null, fx);
          s.step = "prevote";
          continue;
        }
        if (vr >= 0 && vr < s.round) {
          // Line 28: needs +2/3 prevotes for id(v) in round vr.
          const pol = s.rounds.get(vr);
          if (pol && (pol.prevotes.powerByHash.get(hashHex) ?? 0) * 3 > total * 2) {
            const yes = valid && (s.lockedRound <= vr || lockedHex === hashHex);
            castVote(
              s,
              VoteType.Prevote,
              yes ? p.proposal.blockHash : NIL,
              yes ? p.block : null,
              fx,
            );
            s.step = "prevote";
            continue;
          }
        }
      }
    }
    // Line 34: +2/3 prevotes of any kind, for the first time → schedule timeoutPrevote.
    if (
      s.step === "prevote" &&
      s.prevoteWaitRound !== s.round &&
      hasTwoThirds(rv.prevotes.totalPower, total)
    ) {
      s.prevoteWaitRound = s.round;
      scheduleTimeout(s, "prevote", fx);
    }
    // Line 36: +2/3 prevotes for a valid block in this round, step >= prevote, first time.
    const preMaj = twoThirdsMajority(rv.prevotes, total);
    if (
      (s.step === "prevote" || s.step === "precommit") &&
      s.line36Round !== s.round &&
      preMaj !== null &&
      preMaj !== ""
    ) {
      const kb = knownBlock(s, preMaj);
      if (kb?.valid) {
        s.line36Round = s.round;
        if (s.step === "prevote") {
          s.lockedBlock = kb.block;
          s.lockedRound = s.round;
          castVote(s, VoteType.Precommit, blockHash(kb.block), kb.block, fx);
          s.step = "precommit";
        }
        s.validBlock = kb.block;
        s.validRound = s.round;
        continue;
      }
    }
    // Line 44: +2/3 prevotes for nil → precommit nil.
    if (s.step === "prevote" && preMaj === "") {
      castVote(s, VoteType.Precommit, NIL, null, fx);
      s.step = "precommit";
      continue;
    }
    // Line 47: +2/3 precommits of any kind, for the first time → schedule timeoutPrecommit.
    if (s.precommitWaitRound !== s.round && hasTwoThirds(rv.precommits.totalPower, total)) {
      s.precommitWaitRound = s.round;
      scheduleTimeout(s, "precommit", fx);
    }
    return;
  }
}

/** The commit for `block` at round r: the precommits for it, in validator order. */
function buildCommit(s: S, r: number, block: Block): Commit {
  const hash = blockHash(block);
  const hex = toHex(hash);
  const sigs: CommitSig[] = [];
  const forBlock = [...(s.rounds.get(r)!.precommits.votesByHash.get(hex) ?? [])].sort(
    (a, b) => a.validatorIndex - b.validatorIndex,
  );
  for (const v of forBlock) {
    sigs.push({
      validatorIndex: v.validatorIndex,
      timestampMs: v.timestampMs,
      signature: v.signature,
      extension: v.extension,
      extensionSignature: v.extensionSignature,
    });
  }
  return { height: s.height, round: r, blockHash: hash, sigs };
}
