/**
 * Typed consensus errors. A `code` names the rule that was broken so callers (driver,
 * block sync, tests) can switch on it; the message says which value broke it.
 */

export type ConsensusErrorCode =
  | "bad_signature"
  | "insufficient_power"
  | "unknown_validator"
  | "duplicate_signature"
  | "wrong_height"
  | "wrong_block"
  | "bad_header"
  | "bad_last_commit"
  | "bad_extension"
  | "bad_evidence"
  | "rejected_by_app"
  | "signer_conflict"
  | "signer_regression"
  | "wal_corrupted"
  | "bad_message"
  | "recovery";

export class ConsensusError extends Error {
  readonly code: ConsensusErrorCode;
  constructor(code: ConsensusErrorCode, message: string) {
    super(message);
    this.name = "ConsensusError";
    this.code = code;
  }
}

export function isConsensusError(e: unknown, code?: ConsensusErrorCode): e is ConsensusError {
  return e instanceof ConsensusError && (code === undefined || e.code === code);
}
