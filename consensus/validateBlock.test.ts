/**
 * valid(v), the consensus half: a block of a real simulated chain (ed25519) passes against
 * its height context, and each tampering is rejected with the rule it breaks, including
 * invalid, repeated and already-committed evidence.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { toHex, utf8 } from "../lib/bytes.js";
import { sha256 } from "../lib/hash.js";
import { Simulation } from "../test/sim/harness.js";
import { GENESIS_APP_HASH } from "../test/sim/testApp.js";
import type { StoredBlock } from "./blockStore.js";
import { ed25519Scheme } from "./crypto.js";
import { type ConsensusErrorCode, isConsensusError } from "./errors.js";
import type { HeightContext } from "./heightContext.js";
import { type Block, blockHash } from "./types/block.js";
import { commitHash } from "./types/commit.js";
import {
  type DuplicateVoteEvidence,
  evidenceHash,
  evidenceListHash,
  newDuplicateVoteEvidence,
} from "./types/evidence.js";
import { newValidatorSet, nextHeightSet, type ValidatorSet } from "./types/validatorSet.js";
import { type Vote, VoteType, voteSignBytes } from "./types/vote.js";
import { validateBlock } from "./validateBlock.js";

const CHAIN = "perpetua-sim";
const chain: StoredBlock[] = [];
const sets: ValidatorSet[] = [];
let appHashes: Uint8Array[] = [];

beforeAll(async () => {
  const sim = new Simulation({ validators: 4, seed: 3, targetHeight: 5, scheme: ed25519Scheme });
  await sim.run();
  const node = sim.node("v0");
  for (let h = 1; h <= node.blockStore.height(); h++) chain.push(node.blockStore.load(h)!);
  let set = newValidatorSet(
    [0, 1, 2, 3].map((i) => ({
      pubKey: ed25519Scheme.publicKey(sha256(utf8(`perpetua/sim/validator/${i}`))),
      power: 10,
    })),
  );
  for (let h = 1; h <= chain.length; h++) {
    sets.push(set);
    set = nextHeightSet(set);
  }
  appHashes = chain.map((c) => c.block.header.appHash);
  expect(appHashes[0]).toEqual(GENESIS_APP_HASH);
});

function ctx(height: number): HeightContext {
  const prev = height > 1 ? chain[height - 2] : null;
  return {
    chainId: CHAIN,
    initialHeight: 1,
    genesisTimeMs: 1_700_000_000_000,
    height,
    lastBlockHash: prev ? blockHash(prev.block) : new Uint8Array(0),
    lastCommit: prev ? prev.commit : null,
    appHash: appHashes[height - 1],
    validators: sets[height - 1],
    nextValidators: nextHeightSet(sets[height - 1]),
    validatorsAt: (h: number) => sets[h - 1] ?? null,
    prevValidators: height > 1 ? sets[height - 2] : null,
    voteExtensionsEnableHeight: 1,
    maxExtensionBytes: 16384,
    evidenceMaxAgeHeights: 100,
  };
}

const opts = (committed: string[] = []) => ({
  scheme: ed25519Scheme,
  isCommittedEvidence: (k: string) => committed.includes(k),
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

function equivocation(height: number): DuplicateVoteEvidence {
  const seed = sha256(utf8("perpetua/sim/validator/2"));
  const pub = ed25519Scheme.publicKey(seed);
  const set = sets[0];
  const idx = set.validators.findIndex((v) => toHex(v.pubKey) === toHex(pub));
  const mk = (fill: number): Vote => {
    const v = {
      type: VoteType.Prevote,
      height,
      round: 0,
      blockHash: new Uint8Array(32).fill(fill),
      timestampMs: 1,
    } as const;
    return {
      ...v,
      validatorIndex: idx,
      validatorAddress: set.validators[idx].address,
      signature: ed25519Scheme.sign(seed, voteSignBytes(CHAIN, v)),
      extension: new Uint8Array(0),
      extensionSignature: new Uint8Array(0),
    };
  };
  return newDuplicateVoteEvidence(mk(1), mk(2));
}

function withEvidence(b: Block, evidence: DuplicateVoteEvidence[]): Block {
  return { ...b, evidence, header: { ...b.header, evidenceHash: evidenceListHash(evidence) } };
}

describe("validateBlock", () => {
  it("accepts every block of the chain in its context", () => {
    for (let h = 1; h <= chain.length; h++) validateBlock(ctx(h), chain[h - 1].block, opts());
  });

  it("rejects blocks that do not link to our chain or lie about their contents", () => {
    const b = chain[2].block;
    const c = ctx(3);
    expectCode(
      () =>
        validateBlock(c, { ...b, header: { ...b.header, appHash: new Uint8Array(32) } }, opts()),
      "bad_header",
    );
    expectCode(
      () =>
        validateBlock(c, { ...b, header: { ...b.header, timeMs: b.header.timeMs + 1 } }, opts()),
      "bad_header",
    );
    expectCode(() => validateBlock(c, { ...b, txs: [utf8("smuggled")] }, opts()), "bad_header");
    expectCode(() => validateBlock(ctx(4), b, opts()), "wrong_height");
    // A lastCommit with a broken signature, with consistent header hash.
    const lc = b.lastCommit!;
    const broken = {
      ...lc,
      sigs: lc.sigs.map((s, i) => (i === 0 ? { ...s, signature: new Uint8Array(64) } : s)),
    };
    const tampered = {
      ...b,
      lastCommit: broken,
      header: { ...b.header, lastCommitHash: commitHash(broken) },
    };
    expectCode(() => validateBlock(c, tampered, opts()), "bad_signature");
  });

  it("accepts valid evidence once, rejects forged, repeated and already-committed evidence", () => {
    const b = chain[3].block; // height 4
    const ev = equivocation(2);
    validateBlock(ctx(4), withEvidence(b, [ev]), opts());
    const forged = { ...ev, voteB: { ...ev.voteB, signature: new Uint8Array(64) } };
    expectCode(() => validateBlock(ctx(4), withEvidence(b, [forged]), opts()), "bad_evidence");
    expectCode(() => validateBlock(ctx(4), withEvidence(b, [ev, ev]), opts()), "bad_evidence");
    const committed = [toHex(evidenceHash(ev))];
    expectCode(() => validateBlock(ctx(4), withEvidence(b, [ev]), opts(committed)), "bad_evidence");
    const future = equivocation(4);
    expectCode(() => validateBlock(ctx(4), withEvidence(b, [future]), opts()), "bad_evidence");
  });
});
