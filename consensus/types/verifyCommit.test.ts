/**
 * Commit, evidence and block checks on a real chain produced by the simulator with
 * ed25519 (4 validators), then tampered with; and the wire codec round trip.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { utf8 } from "../../lib/bytes.js";
import { sha256 } from "../../lib/hash.js";
import { Simulation } from "../../test/sim/harness.js";
import type { StoredBlock } from "../blockStore.js";
import { ed25519Scheme } from "../crypto.js";
import { type ConsensusErrorCode, isConsensusError } from "../errors.js";
import { type Block, blockHash } from "./block.js";
import { medianTime } from "./blockTime.js";
import { newDuplicateVoteEvidence } from "./evidence.js";
import { decodeMessage, encodeMessage } from "./messages.js";
import { proposalSignBytes } from "./proposal.js";
import { newValidatorSet, nextHeightSet, type ValidatorSet } from "./validatorSet.js";
import { verifyCommit } from "./verifyCommit.js";
import { verifyDuplicateVoteEvidence } from "./verifyEvidence.js";
import { type Vote, VoteType, voteSignBytes } from "./vote.js";

const CHAIN = "perpetua-sim";
let chain: StoredBlock[] = [];
let sets: ValidatorSet[] = [];

beforeAll(async () => {
  const sim = new Simulation({ validators: 4, seed: 2, targetHeight: 6, scheme: ed25519Scheme });
  await sim.run();
  const store = sim.node("v0").blockStore;
  chain = [];
  for (let h = 1; h <= store.height(); h++) chain.push(store.load(h)!);
  const genesis = [0, 1, 2, 3].map((i) => ({
    pubKey: ed25519Scheme.publicKey(sha256(utf8(`perpetua/sim/validator/${i}`))),
    power: 10,
  }));
  let set = newValidatorSet(genesis);
  sets = [];
  for (let h = 1; h <= chain.length; h++) {
    sets.push(set);
    set = nextHeightSet(set);
  }
});

function expectCode(f: () => void, code: ConsensusErrorCode) {
  try {
    f();
  } catch (e) {
    expect(isConsensusError(e, code), String(e)).toBe(true);
    return;
  }
  throw new Error(`expected ${code}`);
}

const opts = { scheme: ed25519Scheme, requireExtensions: true, maxExtensionBytes: 16384 };

describe("verifyCommit (block sync)", () => {
  it("accepts the commits of the chain", () => {
    for (const [i, { block, commit }] of chain.entries()) {
      verifyCommit(CHAIN, sets[i], i + 1, blockHash(block), commit, opts);
    }
  });

  it("rejects wrong height, wrong block, too little power, bad signatures and extensions", () => {
    const { block, commit } = chain[2];
    const set = sets[2];
    const hash = blockHash(block);
    expectCode(() => verifyCommit(CHAIN, set, 4, hash, commit, opts), "wrong_height");
    expectCode(() => verifyCommit(CHAIN, set, 3, new Uint8Array(32), commit, opts), "wrong_block");
    expectCode(
      () => verifyCommit(CHAIN, set, 3, hash, { ...commit, sigs: commit.sigs.slice(0, 2) }, opts),
      "insufficient_power",
    );
    const badSig = commit.sigs.map((s, i) =>
      i === 0 ? { ...s, timestampMs: s.timestampMs + 1 } : s,
    );
    expectCode(
      () => verifyCommit(CHAIN, set, 3, hash, { ...commit, sigs: badSig }, opts),
      "bad_signature",
    );
    const dup = [commit.sigs[0], commit.sigs[0], ...commit.sigs.slice(1)];
    expectCode(
      () => verifyCommit(CHAIN, set, 3, hash, { ...commit, sigs: dup }, opts),
      "duplicate_signature",
    );
    const badExt = commit.sigs.map((s, i) =>
      i === 0 ? { ...s, extension: Uint8Array.from([1]) } : s,
    );
    expectCode(
      () => verifyCommit(CHAIN, set, 3, hash, { ...commit, sigs: badExt }, opts),
      "bad_extension",
    );
    const noExt = commit.sigs.map((s, i) => (i === 0 ? { ...s, extension: new Uint8Array(0) } : s));
    expectCode(
      () => verifyCommit(CHAIN, set, 3, hash, { ...commit, sigs: noExt }, opts),
      "bad_extension",
    );
    expectCode(() => verifyCommit("other-chain", set, 3, hash, commit, opts), "bad_signature");
  });

  it("block time is the weighted median of the previous commit and strictly increases", () => {
    for (let i = 1; i < chain.length; i++) {
      const b = chain[i].block;
      expect(b.header.timeMs).toBe(medianTime(b.lastCommit!, sets[i - 1]));
      expect(b.header.timeMs).toBeGreaterThan(chain[i - 1].block.header.timeMs);
    }
  });
});

describe("duplicate-vote evidence", () => {
  function signedVote(i: number, hash: Uint8Array): Vote {
    const seed = sha256(utf8(`perpetua/sim/validator/${i}`));
    const set = sets[0];
    const v = {
      type: VoteType.Prevote,
      height: 2,
      round: 0,
      blockHash: hash,
      timestampMs: 5,
    } as const;
    const pub = ed25519Scheme.publicKey(seed);
    const idx = set.validators.findIndex((x) => x.pubKey.every((b, k) => b === pub[k]));
    return {
      ...v,
      validatorIndex: idx,
      validatorAddress: set.validators[idx].address,
      signature: ed25519Scheme.sign(seed, voteSignBytes(CHAIN, v)),
      extension: new Uint8Array(0),
      extensionSignature: new Uint8Array(0),
    };
  }

  it("accepts a real equivocation and rejects forged or stale ones", () => {
    const a = signedVote(1, new Uint8Array(32).fill(1));
    const b = signedVote(1, new Uint8Array(32).fill(2));
    const ev = newDuplicateVoteEvidence(b, a);
    verifyDuplicateVoteEvidence(CHAIN, sets[0], 3, 100, ev, ed25519Scheme);
    const same = newDuplicateVoteEvidence(a, a);
    expectCode(
      () => verifyDuplicateVoteEvidence(CHAIN, sets[0], 3, 100, same, ed25519Scheme),
      "bad_evidence",
    );
    const forged = { voteA: ev.voteA, voteB: { ...ev.voteB, signature: new Uint8Array(64) } };
    expectCode(
      () => verifyDuplicateVoteEvidence(CHAIN, sets[0], 3, 100, forged, ed25519Scheme),
      "bad_evidence",
    );
    const other = signedVote(2, new Uint8Array(32).fill(2));
    const mixed = newDuplicateVoteEvidence(a, other);
    expectCode(
      () => verifyDuplicateVoteEvidence(CHAIN, sets[0], 3, 100, mixed, ed25519Scheme),
      "bad_evidence",
    );
    expectCode(
      () => verifyDuplicateVoteEvidence(CHAIN, sets[0], 200, 100, ev, ed25519Scheme),
      "bad_evidence",
    );
    expectCode(
      () => verifyDuplicateVoteEvidence(CHAIN, sets[0], 2, 100, ev, ed25519Scheme),
      "bad_evidence",
    );
  });
});

describe("wire codec", () => {
  it("round-trips every message kind canonically", () => {
    const { block, commit } = chain[3];
    const proposal = {
      height: 4,
      round: 0,
      polRound: -1,
      blockHash: blockHash(block),
      signature: ed25519Scheme.sign(
        new Uint8Array(32),
        proposalSignBytes(CHAIN, {
          height: 4,
          round: 0,
          polRound: -1,
          blockHash: blockHash(block),
        }),
      ),
    };
    const vote: Vote = {
      type: VoteType.Precommit,
      height: 4,
      round: 0,
      blockHash: blockHash(block),
      timestampMs: 7,
      validatorIndex: 1,
      validatorAddress: new Uint8Array(20),
      signature: new Uint8Array(64),
      extension: Uint8Array.from([1, 2]),
      extensionSignature: new Uint8Array(64),
    };
    for (const m of [
      { type: "proposal", proposal, block },
      { type: "vote", vote },
      { type: "syncRequest", height: 9 },
      { type: "syncResponse", block, commit },
    ] as const) {
      const bytes = encodeMessage(m);
      const back = decodeMessage(bytes);
      expect(encodeMessage(back)).toEqual(bytes);
      if (back.type === "proposal" || back.type === "syncResponse") {
        expect(blockHash(back.block as Block)).toEqual(blockHash(block));
      }
    }
  });

  it("rejects malformed bytes with bad_message", () => {
    expectCode(() => decodeMessage(Uint8Array.from([0xff])), "bad_message");
    expectCode(
      () => decodeMessage(encodeMessage({ type: "syncRequest", height: 1 }).slice(0, 1)),
      "bad_message",
    );
    const bytes = encodeMessage({ type: "syncRequest", height: 1 });
    bytes[1] = 9; // unknown kind
    expectCode(() => decodeMessage(bytes), "bad_message");
  });
});
