/**
 * WAL records (CometBFT consensus/wal.go): every message is written before it is handled,
 * our own proposals and votes with fsync before they are sent, fired timeouts so a replay
 * takes the same path, and an end-of-height marker after the block and app state of a
 * height are durable. A replay feeds the records after the last marker back to the machine.
 */
import { asSafeInt, decodeTrusted, encode } from "../../lib/cbor.js";
import { ConsensusError } from "../errors.js";
import type { TimeoutStep } from "../machine/timeouts.js";
import { type ConsensusMessage, messageFromCbor, messageToCbor } from "../types/messages.js";

export type WalRecord =
  | { readonly kind: "msg"; readonly from: string; readonly msg: ConsensusMessage }
  | { readonly kind: "own"; readonly msg: ConsensusMessage }
  | {
      readonly kind: "timeout";
      readonly height: number;
      readonly round: number;
      readonly step: TimeoutStep;
    }
  | { readonly kind: "endHeight"; readonly height: number };

const STEPS: readonly TimeoutStep[] = ["propose", "prevote", "precommit", "commit"];

export function encodeWalRecord(r: WalRecord): Uint8Array {
  switch (r.kind) {
    case "msg":
      return encode([1, r.from, messageToCbor(r.msg)]);
    case "own":
      return encode([2, messageToCbor(r.msg)]);
    case "timeout":
      return encode([3, r.height, r.round, STEPS.indexOf(r.step)]);
    case "endHeight":
      return encode([4, r.height]);
  }
}

export function decodeWalRecord(bytes: Uint8Array): WalRecord {
  const a = decodeTrusted(bytes);
  if (!Array.isArray(a)) throw new ConsensusError("wal_corrupted", "record is not a list");
  switch (a[0]) {
    case 1:
      return { kind: "msg", from: String(a[1]), msg: messageFromCbor(a[2]) };
    case 2:
      return { kind: "own", msg: messageFromCbor(a[1]) };
    case 3: {
      const step = STEPS[asSafeInt(a[3], "step")];
      if (!step) throw new ConsensusError("wal_corrupted", "bad timeout step");
      return {
        kind: "timeout",
        height: asSafeInt(a[1], "height"),
        round: asSafeInt(a[2], "round"),
        step,
      };
    }
    case 4:
      return { kind: "endHeight", height: asSafeInt(a[1], "height") };
    default:
      throw new ConsensusError("wal_corrupted", `unknown record kind ${String(a[0])}`);
  }
}

/** Height a record belongs to (for replay filtering). */
export function recordHeight(r: WalRecord): number {
  switch (r.kind) {
    case "msg":
    case "own": {
      const m = r.msg;
      if (m.type === "proposal") return m.proposal.height;
      if (m.type === "vote") return m.vote.height;
      if (m.type === "syncResponse") return m.block.header.height;
      return m.height;
    }
    case "timeout":
    case "endHeight":
      return r.height;
  }
}
