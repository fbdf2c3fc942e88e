/**
 * The reducer in isolation, rule by rule (Algorithm 1 line numbers of arXiv 1807.04938).
 * Validator 0 is "us"; blocks and votes are built by hand (the machine trusts the driver's
 * signature checks, so signatures are placeholders here).
 */
import { describe, expect, it } from "vitest";
import { utf8 } from "../../lib/bytes.js";
import { sha256 } from "../../lib/hash.js";
import { type Block, blockHash } from "../types/block.js";
import {
  indexOfAddress,
  newValidatorSet,
  proposerForRound,
  type ValidatorSet,
} from "../types/validatorSet.js";
import { NIL, type Vote, VoteType } from "../types/vote.js";
import type { Effect, MachineEvent } from "./events.js";
import { startHeight, step } from "./machine.js";
import type { MachineState } from "./state.js";
import { DEFAULT_TIMEOUTS } from "./timeouts.js";

const SET: ValidatorSet = newValidatorSet(
  [1, 2, 3, 4].map((i) => ({ pubKey: sha256(utf8(`v${i}`)), power: 10 })),
);

function block(tag: string, height = 1): Block {
  const z = new Uint8Array(32);
  return {
    header: {
      chainId: "t",
      height,
      timeMs: 0,
      lastBlockHash: new Uint8Array(0),
      lastCommitHash: z,
      dataHash: sha256(utf8(tag)),
      validatorsHash: z,
      nextValidatorsHash: z,
      appHash: z,
      proposerAddress: SET.validators[0].address,
      evidenceHash: z,
    },
    txs: [utf8(tag)],
    lastCommit: null,
    evidence: [],
  };
}

function vote(type: VoteType, i: number, round: number, b: Block | null, height = 1): Vote {
  return {
    type,
    height,
    round,
    blockHash: b ? blockHash(b) : NIL,
    timestampMs: 1,
    validatorIndex: i,
    validatorAddress: SET.validators[i].address,
    signature: new Uint8Array(64),
    extension: new Uint8Array(0),
    extensionSignature: new Uint8Array(0),
  };
}

/** A machine for validator `me`, started into round 0. */
function started(me: number): { s: MachineState; fx: Effect[] } {
  const t = startHeight({
    chainId: "t",
    timeouts: DEFAULT_TIMEOUTS,
    height: 1,
    validators: SET,
    myIndex: me,
  });
  const r = step(t.state, { kind: "timeout", height: 1, round: 0, step: "commit" });
  return { s: r.state, fx: [...r.effects] };
}

function run(s: MachineState, events: MachineEvent[]): { s: MachineState; fx: Effect[] } {
  const fx: Effect[] = [];
  for (const e of events) {
    const r = step(s, e);
    s = r.state;
    fx.push(...r.effects);
  }
  return { s, fx };
}

const proposerIndex = (round: number) => indexOfAddress(SET, proposerForRound(SET, round).address);

function proposal(b: Block, round: number, polRound = -1): MachineEvent {
  return {
    kind: "proposal",
    proposal: {
      height: 1,
      round,
      polRound,
      blockHash: blockHash(b),
      signature: new Uint8Array(64),
    },
    block: b,
    valid: true,
  };
}

const votesOf = (fx: Effect[]) =>
  fx.filter((f) => f.kind === "vote") as Extract<Effect, { kind: "vote" }>[];

describe("machine", () => {
  it("StartRound: the proposer proposes (lines 14-19), everyone schedules timeoutPropose", () => {
    const p = proposerIndex(0);
    const { fx } = started(p);
    expect(fx.some((f) => f.kind === "propose")).toBe(true);
    const other = started((p + 1) % 4);
    expect(other.fx.some((f) => f.kind === "propose")).toBe(false);
    expect(other.fx).toContainEqual(
      expect.objectContaining({ kind: "timeout", step: "propose", durationMs: 3000 }),
    );
  });

  it("line 22: prevotes a valid proposal, nil for an invalid one", () => {
    const me = (proposerIndex(0) + 1) % 4;
    const b = block("a");
    const ok = run(started(me).s, [proposal(b, 0)]);
    expect(votesOf(ok.fx)[0]).toMatchObject({ type: VoteType.Prevote, blockHash: blockHash(b) });
    const bad = run(started(me).s, [
      { ...(proposal(b, 0) as object), valid: false } as MachineEvent,
    ]);
    expect(votesOf(bad.fx)[0]).toMatchObject({ type: VoteType.Prevote, blockHash: NIL });
  });

  it("line 36: +2/3 prevotes for the block → lock and precommit; line 49: +2/3 precommits → decide", () => {
    const me = (proposerIndex(0) + 1) % 4;
    const b = block("a");
    const others = [0, 1, 2, 3].filter((i) => i !== me);
    let r = run(started(me).s, [
      proposal(b, 0),
      ...others.map(
        (i) => ({ kind: "vote", vote: vote(VoteType.Prevote, i, 0, b) }) as MachineEvent,
      ),
    ]);
    expect(r.s.lockedRound).toBe(0);
    expect(votesOf(r.fx).map((v) => v.type)).toEqual([VoteType.Prevote, VoteType.Precommit]);
    r = run(
      r.s,
      others.map(
        (i) => ({ kind: "vote", vote: vote(VoteType.Precommit, i, 0, b) }) as MachineEvent,
      ),
    );
    const decide = r.fx.find((f) => f.kind === "decide");
    expect(decide).toBeDefined();
    if (decide?.kind === "decide") expect(decide.commit.sigs.length).toBe(3);
    expect(r.s.step).toBe("commit");
  });

  it("line 44 and timeouts (57, 61, 65): nil path moves to the next round", () => {
    const me = (proposerIndex(0) + 1) % 4;
    let r = run(started(me).s, [{ kind: "timeout", height: 1, round: 0, step: "propose" }]);
    expect(votesOf(r.fx)[0]).toMatchObject({ type: VoteType.Prevote, blockHash: NIL });
    const others = [0, 1, 2, 3].filter((i) => i !== me);
    r = run(
      r.s,
      others.map(
        (i) => ({ kind: "vote", vote: vote(VoteType.Prevote, i, 0, null) }) as MachineEvent,
      ),
    );
    expect(votesOf(r.fx).at(-1)).toMatchObject({ type: VoteType.Precommit, blockHash: NIL });
    r = run(
      r.s,
      others.map(
        (i) => ({ kind: "vote", vote: vote(VoteType.Precommit, i, 0, null) }) as MachineEvent,
      ),
    );
    expect(r.fx).toContainEqual(
      expect.objectContaining({ kind: "timeout", step: "precommit", durationMs: 1000 }),
    );
    r = run(r.s, [{ kind: "timeout", height: 1, round: 0, step: "precommit" }]);
    expect(r.s.round).toBe(1);
    expect(r.fx).toContainEqual(
      expect.objectContaining({ kind: "timeout", step: "propose", durationMs: 3500 }),
    );
  });

  it("a locked process prevotes nil for another block (line 22) unless a newer POL (line 28)", () => {
    const me = (proposerIndex(0) + 1) % 4;
    const a = block("a");
    const c = block("c");
    const others = [0, 1, 2, 3].filter((i) => i !== me);
    // Lock on a in round 0, then round 0 fails to commit.
    let r = run(started(me).s, [
      proposal(a, 0),
      ...others.map(
        (i) => ({ kind: "vote", vote: vote(VoteType.Prevote, i, 0, a) }) as MachineEvent,
      ),
      ...others.map(
        (i) => ({ kind: "vote", vote: vote(VoteType.Precommit, i, 0, null) }) as MachineEvent,
      ),
      { kind: "timeout", height: 1, round: 0, step: "precommit" },
    ]);
    expect(r.s.lockedRound).toBe(0);
    expect(r.s.round).toBe(1);
    r = run(r.s, [proposal(c, 1)]);
    expect(votesOf(r.fx).at(-1)).toMatchObject({
      type: VoteType.Prevote,
      round: 1,
      blockHash: NIL,
    });
    // Round 2: c is re-proposed with a POL from round 1 (newer than our lock) → prevote c.
    r = run(r.s, [
      ...others.map(
        (i) => ({ kind: "vote", vote: vote(VoteType.Prevote, i, 1, c) }) as MachineEvent,
      ),
      { kind: "timeout", height: 1, round: 1, step: "prevote" },
    ]);
    r = run(r.s, [
      ...others.map(
        (i) => ({ kind: "vote", vote: vote(VoteType.Precommit, i, 1, null) }) as MachineEvent,
      ),
      { kind: "timeout", height: 1, round: 1, step: "precommit" },
    ]);
    expect(r.s.round).toBe(2);
    r = run(r.s, [proposal(c, 2, 1)]);
    expect(votesOf(r.fx).at(-1)).toMatchObject({
      type: VoteType.Prevote,
      round: 2,
      blockHash: blockHash(c),
    });
  });

  it("line 55: f+1 messages from a higher round make the process skip to it", () => {
    const me = 0;
    const r = run(started(me).s, [
      { kind: "vote", vote: vote(VoteType.Prevote, 1, 5, null) },
      { kind: "vote", vote: vote(VoteType.Prevote, 2, 5, null) },
    ]);
    expect(r.s.round).toBe(5);
  });

  it("a second, different vote from one validator is reported as evidence", () => {
    const r = run(started(0).s, [
      { kind: "vote", vote: vote(VoteType.Prevote, 2, 0, block("a")) },
      { kind: "vote", vote: vote(VoteType.Prevote, 2, 0, block("b")) },
    ]);
    expect(r.fx.filter((f) => f.kind === "evidence").length).toBe(1);
  });

  it("is deterministic: the same events give the same effects", () => {
    const b = block("a");
    const events: MachineEvent[] = [
      proposal(b, 0),
      ...[1, 2, 3].map(
        (i) => ({ kind: "vote", vote: vote(VoteType.Prevote, i, 0, b) }) as MachineEvent,
      ),
    ];
    expect(run(started(0).s, events).fx).toEqual(run(started(0).s, events).fx);
  });
});
