/**
 * What consensus nodes say to each other, and its canonical CBOR wire form.
 *
 * proposal      PROPOSAL(h, r, v, vr) with the whole block
 * vote          PREVOTE / PRECOMMIT
 * syncRequest   "send me block h and its commit" (a node that saw messages from ahead)
 * syncResponse  block h with the extended commit that decided it (block sync)
 *
 * Decoding is strict (lib/cbor decode) and checks shapes and integer ranges; signatures
 * and semantics are checked by the driver and verifyCommit.
 */
import { asSafeInt, decode, encode } from "../../lib/cbor.js";
import { ConsensusError } from "../errors.js";
import { type Block, type Header, headerToCbor } from "./block.js";
import { type Commit, commitToCbor } from "./commit.js";
import { type DuplicateVoteEvidence, evidenceToCbor, voteToCbor } from "./evidence.js";
import type { Proposal } from "./proposal.js";
import { type Vote, VoteType } from "./vote.js";

export type ConsensusMessage =
  | { readonly type: "proposal"; readonly proposal: Proposal; readonly block: Block }
  | { readonly type: "vote"; readonly vote: Vote }
  | { readonly type: "syncRequest"; readonly height: number }
  | { readonly type: "syncResponse"; readonly block: Block; readonly commit: Commit };

export function blockToCbor(b: Block): unknown {
  return [
    headerToCbor(b.header),
    b.txs,
    b.lastCommit === null ? null : commitToCbor(b.lastCommit),
    b.evidence.map(evidenceToCbor),
  ];
}

export function proposalToCbor(p: Proposal): unknown {
  return [p.height, p.round, p.polRound, p.blockHash, p.signature];
}

export function messageToCbor(m: ConsensusMessage): unknown {
  switch (m.type) {
    case "proposal":
      return [1, proposalToCbor(m.proposal), blockToCbor(m.block)];
    case "vote":
      return [2, voteToCbor(m.vote)];
    case "syncRequest":
      return [3, m.height];
    case "syncResponse":
      return [4, blockToCbor(m.block), commitToCbor(m.commit)];
  }
}

export function encodeMessage(m: ConsensusMessage): Uint8Array {
  return encode(messageToCbor(m));
}

function bad(what: string): never {
  throw new ConsensusError("bad_message", `malformed ${what}`);
}

function arr(v: unknown, n: number, what: string): unknown[] {
  if (!Array.isArray(v) || v.length !== n) bad(what);
  return v as unknown[];
}

function bytes(v: unknown, what: string, max = 1 << 22): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length > max) bad(what);
  return v as Uint8Array;
}

function int(v: unknown, what: string, min = 0): number {
  const n = asSafeInt(v, what);
  if (n < min) bad(what);
  return n;
}

export function voteFromCbor(v: unknown): Vote {
  const a = arr(v, 10, "vote");
  const type = int(a[0], "vote.type");
  if (type !== VoteType.Prevote && type !== VoteType.Precommit) bad("vote.type");
  return {
    type: type as VoteType,
    height: int(a[1], "vote.height", 1),
    round: int(a[2], "vote.round"),
    blockHash: bytes(a[3], "vote.blockHash", 32),
    timestampMs: int(a[4], "vote.timestampMs"),
    validatorIndex: int(a[5], "vote.validatorIndex"),
    validatorAddress: bytes(a[6], "vote.validatorAddress", 20),
    signature: bytes(a[7], "vote.signature", 64),
    extension: bytes(a[8], "vote.extension", 1 << 20),
    extensionSignature: bytes(a[9], "vote.extensionSignature", 64),
  };
}

export function commitFromCbor(v: unknown): Commit {
  const a = arr(v, 4, "commit");
  if (!Array.isArray(a[3])) bad("commit.sigs");
  return {
    height: int(a[0], "commit.height", 1),
    round: int(a[1], "commit.round"),
    blockHash: bytes(a[2], "commit.blockHash", 32),
    sigs: (a[3] as unknown[]).map((s) => {
      const x = arr(s, 5, "commit sig");
      return {
        validatorIndex: int(x[0], "sig.validatorIndex"),
        timestampMs: int(x[1], "sig.timestampMs"),
        signature: bytes(x[2], "sig.signature", 64),
        extension: bytes(x[3], "sig.extension", 1 << 20),
        extensionSignature: bytes(x[4], "sig.extensionSignature", 64),
      };
    }),
  };
}

function evidenceFromCbor(v: unknown): DuplicateVoteEvidence {
  const a = arr(v, 2, "evidence");
  return { voteA: voteFromCbor(a[0]), voteB: voteFromCbor(a[1]) };
}

function headerFromCbor(v: unknown): Header {
  const a = arr(v, 11, "header");
  if (typeof a[0] !== "string") bad("header.chainId");
  return {
    chainId: a[0] as string,
    height: int(a[1], "header.height", 1),
    timeMs: int(a[2], "header.timeMs"),
    lastBlockHash: bytes(a[3], "header.lastBlockHash", 32),
    lastCommitHash: bytes(a[4], "header.lastCommitHash", 32),
    dataHash: bytes(a[5], "header.dataHash", 32),
    validatorsHash: bytes(a[6], "header.validatorsHash", 32),
    nextValidatorsHash: bytes(a[7], "header.nextValidatorsHash", 32),
    appHash: bytes(a[8], "header.appHash", 64),
    proposerAddress: bytes(a[9], "header.proposerAddress", 20),
    evidenceHash: bytes(a[10], "header.evidenceHash", 32),
  };
}

export function blockFromCbor(v: unknown): Block {
  const a = arr(v, 4, "block");
  if (!Array.isArray(a[1]) || !Array.isArray(a[3])) bad("block");
  return {
    header: headerFromCbor(a[0]),
    txs: (a[1] as unknown[]).map((t) => bytes(t, "tx")),
    lastCommit: a[2] === null ? null : commitFromCbor(a[2]),
    evidence: (a[3] as unknown[]).map(evidenceFromCbor),
  };
}

export function proposalFromCbor(v: unknown): Proposal {
  const a = arr(v, 5, "proposal");
  const polRound = asSafeInt(a[2], "proposal.polRound");
  if (polRound < -1) bad("proposal.polRound");
  return {
    height: int(a[0], "proposal.height", 1),
    round: int(a[1], "proposal.round"),
    polRound,
    blockHash: bytes(a[3], "proposal.blockHash", 32),
    signature: bytes(a[4], "proposal.signature", 64),
  };
}

export function messageFromCbor(v: unknown): ConsensusMessage {
  if (!Array.isArray(v) || v.length < 2) bad("message");
  const a = v as unknown[];
  switch (a[0]) {
    case 1:
      arr(a, 3, "proposal message");
      return { type: "proposal", proposal: proposalFromCbor(a[1]), block: blockFromCbor(a[2]) };
    case 2:
      arr(a, 2, "vote message");
      return { type: "vote", vote: voteFromCbor(a[1]) };
    case 3:
      arr(a, 2, "sync request");
      return { type: "syncRequest", height: int(a[1], "height", 1) };
    case 4:
      arr(a, 3, "sync response");
      return { type: "syncResponse", block: blockFromCbor(a[1]), commit: commitFromCbor(a[2]) };
    default:
      return bad("message kind");
  }
}

/** Decodes a wire message; throws ConsensusError("bad_message") on anything malformed. */
export function decodeMessage(bytesIn: Uint8Array): ConsensusMessage {
  let v: unknown;
  try {
    v = decode(bytesIn);
  } catch (e) {
    throw new ConsensusError("bad_message", (e as Error).message);
  }
  try {
    return messageFromCbor(v);
  } catch (e) {
    if (e instanceof ConsensusError) throw e;
    throw new ConsensusError("bad_message", (e as Error).message);
  }
}
