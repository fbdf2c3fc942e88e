/**
 * A commit: the +2/3 precommits for one block at one round, with their vote extensions
 * (CometBFT's ExtendedCommit; the plain commit is the same without extensions). Only
 * precommits for the block are kept, in validator-index order; absent validators are
 * simply not listed.
 */
import { encode } from "../../lib/cbor.js";
import { sha256 } from "../../lib/hash.js";

export interface CommitSig {
  readonly validatorIndex: number;
  readonly timestampMs: number;
  readonly signature: Uint8Array;
  readonly extension: Uint8Array;
  readonly extensionSignature: Uint8Array;
}

export interface Commit {
  readonly height: number;
  readonly round: number;
  readonly blockHash: Uint8Array;
  readonly sigs: readonly CommitSig[];
}

export function commitToCbor(c: Commit): unknown {
  return [
    c.height,
    c.round,
    c.blockHash,
    c.sigs.map((s) => [
      s.validatorIndex,
      s.timestampMs,
      s.signature,
      s.extension,
      s.extensionSignature,
    ]),
  ];
}

/** The header's lastCommitHash: sha256 of the canonical CBOR (empty hash for no commit). */
export function commitHash(c: Commit | null): Uint8Array {
  return c === null ? sha256(new Uint8Array(0)) : sha256(encode(commitToCbor(c)));
}
