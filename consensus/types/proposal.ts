/**
 * The paper's PROPOSAL(h, r, v, vr) message: the block travels beside it (whole, or later
 * as a compact block of tx hashes: the header's dataHash commits to the tx hashes).
 * Sign bytes: "perpetua/proposal/v1" || cbor([chainId, height, round, polRound, blockHash]).
 */
import { utf8 } from "../../lib/bytes.js";
import { encode } from "../../lib/cbor.js";

export interface Proposal {
  readonly height: number;
  readonly round: number;
  /** The paper's validRound vr: -1, or the round whose +2/3 prevotes justify re-proposing. */
  readonly polRound: number;
  readonly blockHash: Uint8Array;
  readonly signature: Uint8Array;
}

const PROPOSAL_DOMAIN = utf8("perpetua/proposal/v1");

export function proposalSignBytes(
  chainId: string,
  p: Pick<Proposal, "height" | "round" | "polRound" | "blockHash">,
): Uint8Array {
  const body = encode([chainId, p.height, p.round, p.polRound, p.blockHash]);
  const out = new Uint8Array(PROPOSAL_DOMAIN.length + body.length);
  out.set(PROPOSAL_DOMAIN, 0);
  out.set(body, PROPOSAL_DOMAIN.length);
  return out;
}
