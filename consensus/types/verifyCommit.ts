/**
 * Commit verification, used for the lastCommit inside every proposed block and by block
 * sync (`verifyCommit(chainId, validatorSet, blockHash, commit)`): each signature is a
 * precommit for `blockHash` by a distinct member of the set, and together they hold more
 * than 2/3 of the power. With `requireExtensions` every signature must also carry a
 * non-empty vote extension with a valid extension signature (ABCI++: the next proposer
 * must include extended votes of more than 2/3 of the power).
 */
import { voteExtensionSignBytes } from "../../lib/abci.js";
import { equalBytes } from "../../lib/bytes.js";
import type { SignatureScheme } from "../crypto.js";
import { ConsensusError } from "../errors.js";
import type { Commit } from "./commit.js";
import { hasTwoThirds, type ValidatorSet } from "./validatorSet.js";
import { VoteType, voteSignBytes } from "./vote.js";

/** A per-node memo of signatures this node already verified itself (never shared). */
export interface VerifiedCache {
  has(key: string): boolean;
  add(key: string): void;
}

export interface VerifyCommitOptions {
  readonly scheme: SignatureScheme;
  readonly requireExtensions?: boolean;
  /** Maximum extension size in bytes (oversized extensions are invalid). */
  readonly maxExtensionBytes?: number;
  readonly cache?: VerifiedCache;
}

// Native hex (Buffer) here: this runs for every signature a node checks.
function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

/** Cache key binding key, message and signature (all three: a hit must mean "verified"). */
export function signatureKey(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): string {
  return `${hex(pub)}:${hex(sig)}:${hex(msg)}`;
}

export function verifyCached(
  scheme: SignatureScheme,
  pub: Uint8Array,
  msg: Uint8Array,
  sig: Uint8Array,
  cache?: VerifiedCache,
): boolean {
  if (!cache) return scheme.verify(pub, msg, sig);
  const key = signatureKey(pub, msg, sig);
  if (cache.has(key)) return true;
  const ok = scheme.verify(pub, msg, sig);
  if (ok) cache.add(key);
  return ok;
}

/** Throws ConsensusError unless `commit` is a valid +2/3 commit for (height, blockHash). */
export function verifyCommit(
  chainId: string,
  set: ValidatorSet,
  height: number,
  blockHash: Uint8Array,
  commit: Commit,
  opts: VerifyCommitOptions,
): void {
  if (commit.height !== height) {
    throw new ConsensusError("wrong_height", `commit for ${commit.height}, expected ${height}`);
  }
  if (!equalBytes(commit.blockHash, blockHash)) {
    throw new ConsensusError("wrong_block", "commit is for another block");
  }
  let power = 0;
  let prev = -1;
  for (const s of commit.sigs) {
    if (s.validatorIndex <= prev) {
      throw new ConsensusError("duplicate_signature", "commit signatures not in index order");
    }
    prev = s.validatorIndex;
    const v = set.validators[s.validatorIndex];
    if (!v) throw new ConsensusError("unknown_validator", `index ${s.validatorIndex}`);
    const msg = voteSignBytes(chainId, {
      type: VoteType.Precommit,
      height,
      round: commit.round,
      blockHash,
      timestampMs: s.timestampMs,
    });
    if (!verifyCached(opts.scheme, v.pubKey, msg, s.signature, opts.cache)) {
      throw new ConsensusError("bad_signature", `precommit of validator ${s.validatorIndex}`);
    }
    if (opts.requireExtensions) {
      if (s.extension.length === 0) {
        throw new ConsensusError("bad_extension", `missing extension of ${s.validatorIndex}`);
      }
      if (opts.maxExtensionBytes !== undefined && s.extension.length > opts.maxExtensionBytes) {
        throw new ConsensusError("bad_extension", `oversized extension of ${s.validatorIndex}`);
      }
      const extMsg = voteExtensionSignBytes(chainId, height, commit.round, s.extension);
      if (!verifyCached(opts.scheme, v.pubKey, extMsg, s.extensionSignature, opts.cache)) {
        throw new ConsensusError("bad_extension", `extension signature of ${s.validatorIndex}`);
      }
    }
    power += v.power;
  }
  if (!hasTwoThirds(power, set.totalPower)) {
    throw new ConsensusError("insufficient_power", `${power} of ${set.totalPower}`);
  }
}
