/**
 * Blocks. The header commits to everything else: txs through dataHash (sha256 over the
 * CBOR list of sha256(tx), so a compact block of tx hashes can be checked before the txs are
 * fetched), the previous block's extended commit through lastCommitHash, and evidence
 * through evidenceHash. The block hash is sha256("perpetua/header/v1" || cbor(header)).
 *
 * `appHash` is the state root after the previous block (ABCI's one-block lag); `timeMs` is
 * BFT time (blockTime.ts).
 */
import { utf8 } from "../../lib/bytes.js";
import { encode } from "../../lib/cbor.js";
import { sha256, sha256OfImmutable } from "../../lib/hash.js";
import type { Commit } from "./commit.js";
import type { DuplicateVoteEvidence } from "./evidence.js";

export interface Header {
  readonly chainId: string;
  readonly height: number;
  readonly timeMs: number;
  /** Empty at the initial height. */
  readonly lastBlockHash: Uint8Array;
  readonly lastCommitHash: Uint8Array;
  readonly dataHash: Uint8Array;
  readonly validatorsHash: Uint8Array;
  /** The set of the next height (after this block's validator updates of height - 1). */
  readonly nextValidatorsHash: Uint8Array;
  readonly appHash: Uint8Array;
  readonly proposerAddress: Uint8Array;
  readonly evidenceHash: Uint8Array;
}

export interface Block {
  readonly header: Header;
  readonly txs: readonly Uint8Array[];
  /** The extended commit of height - 1 (null at the initial height). */
  readonly lastCommit: Commit | null;
  readonly evidence: readonly DuplicateVoteEvidence[];
}

const HEADER_DOMAIN = utf8("perpetua/header/v1");

export function headerToCbor(h: Header): unknown {
  return [
    h.chainId,
    h.height,
    h.timeMs,
    h.lastBlockHash,
    h.lastCommitHash,
    h.dataHash,
    h.validatorsHash,
    h.nextValidatorsHash,
    h.appHash,
    h.proposerAddress,
    h.evidenceHash,
  ];
}

export function headerHash(h: Header): Uint8Array {
  const body = encode(headerToCbor(h));
  const out = new Uint8Array(HEADER_DOMAIN.length + body.length);
  out.set(HEADER_DOMAIN, 0);
  out.set(body, HEADER_DOMAIN.length);
  return sha256(out);
}

// Blocks are immutable values: memoise the hash per object.
const hashes = new WeakMap<Block, Uint8Array>();

export function blockHash(b: Block): Uint8Array {
  let h = hashes.get(b);
  if (!h) {
    h = headerHash(b.header);
    hashes.set(b, h);
  }
  return h;
}

export function txHashes(txs: readonly Uint8Array[]): Uint8Array[] {
  return txs.map((tx) => sha256OfImmutable(tx));
}

/** dataHash from tx hashes alone, so a compact block can be checked before fetching txs. */
export function dataHashFromTxHashes(hashes: readonly Uint8Array[]): Uint8Array {
  return sha256(encode(hashes));
}

export function dataHash(txs: readonly Uint8Array[]): Uint8Array {
  return dataHashFromTxHashes(txHashes(txs));
}
