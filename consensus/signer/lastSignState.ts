/**
 * What the signer remembers about its last signature (CometBFT privval's LastSignState):
 * height, round and step (propose 1 < prevote 2 < precommit 3), the hash of the sign bytes
 * without the timestamp, and the signature with the timestamp and vote extension it was
 * released with, so a re-sign of the same step can return exactly the same message.
 */
import { asSafeInt, decodeTrusted, encode } from "../../lib/cbor.js";
import { ConsensusError } from "../errors.js";

export const SignStep = { Propose: 1, Prevote: 2, Precommit: 3 } as const;
export type SignStep = (typeof SignStep)[keyof typeof SignStep];

export interface LastSignState {
  readonly height: number;
  readonly round: number;
  readonly step: SignStep;
  readonly signBytesHash: Uint8Array;
  readonly timestampMs: number;
  readonly signature: Uint8Array;
  readonly extension: Uint8Array;
  readonly extensionSignature: Uint8Array;
}

export interface SignerStorage {
  /** The last saved state, null for a fresh validator. */
  load(): LastSignState | null;
  /** Persists durably (fsync) before resolving; the signature is released only after. */
  save(state: LastSignState): Promise<void>;
}

export function encodeLastSignState(s: LastSignState): Uint8Array {
  return encode([
    s.height,
    s.round,
    s.step,
    s.signBytesHash,
    s.timestampMs,
    s.signature,
    s.extension,
    s.extensionSignature,
  ]);
}

export function decodeLastSignState(bytes: Uint8Array): LastSignState {
  const a = decodeTrusted(bytes);
  if (!Array.isArray(a) || a.length !== 8) {
    throw new ConsensusError("recovery", "malformed signer state");
  }
  const b = (v: unknown) => {
    if (!(v instanceof Uint8Array)) throw new ConsensusError("recovery", "malformed signer state");
    return v;
  };
  return {
    height: asSafeInt(a[0], "height"),
    round: asSafeInt(a[1], "round"),
    step: asSafeInt(a[2], "step") as SignStep,
    signBytesHash: b(a[3]),
    timestampMs: asSafeInt(a[4], "timestampMs"),
    signature: b(a[5]),
    extension: b(a[6]),
    extensionSignature: b(a[7]),
  };
}
