/**
 * Votes (the paper's PREVOTE and PRECOMMIT messages) and their sign bytes.
 *
 * Sign bytes are "perpetua/vote/v1" || cbor([chainId, type, height, round, blockHash,
 * timestampMs]); nil is the empty hash. The validator's identity is not in the bytes: the
 * signature binds it. A precommit for a block also carries the application's vote
 * extension, signed separately over lib/abci's `voteExtensionSignBytes` so the extension can
 * travel into the next block without the vote (CometBFT's ABCI++ design). The timestamp of
 * a precommit feeds BFT time (see blockTime.ts).
 */
import { utf8 } from "../../lib/bytes.js";
import { encode } from "../../lib/cbor.js";

export const VoteType = { Prevote: 1, Precommit: 2 } as const;
export type VoteType = (typeof VoteType)[keyof typeof VoteType];

export const NIL = new Uint8Array(0);

export interface Vote {
  readonly type: VoteType;
  readonly height: number;
  readonly round: number;
  /** Empty (NIL) for a nil vote. */
  readonly blockHash: Uint8Array;
  readonly timestampMs: number;
  readonly validatorIndex: number;
  readonly validatorAddress: Uint8Array;
  readonly signature: Uint8Array;
  /** Application vote extension; empty unless a precommit for a block. */
  readonly extension: Uint8Array;
  /** Signature over voteExtensionSignBytes; empty unless a precommit for a block. */
  readonly extensionSignature: Uint8Array;
}

export type UnsignedVote = Omit<Vote, "signature" | "extension" | "extensionSignature">;

const VOTE_DOMAIN = utf8("perpetua/vote/v1");

export function voteSignBytes(
  chainId: string,
  v: Pick<Vote, "type" | "height" | "round" | "blockHash" | "timestampMs">,
): Uint8Array {
  const body = encode([chainId, v.type, v.height, v.round, v.blockHash, v.timestampMs]);
  const out = new Uint8Array(VOTE_DOMAIN.length + body.length);
  out.set(VOTE_DOMAIN, 0);
  out.set(body, VOTE_DOMAIN.length);
  return out;
}

export function isNil(blockHash: Uint8Array): boolean {
  return blockHash.length === 0;
}
