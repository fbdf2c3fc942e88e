/** Addresses: "0x" + hex of the first 20 bytes of sha256(ed25519 public key) (DESIGN.md 5). */
import { toHex } from "./bytes.js";
import { ErrorCode, PerpetuaError } from "./errors.js";
import { sha256 } from "./hash.js";

export const ADDRESS_BYTES = 20;

export function addressBytes(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== 32) {
    throw new PerpetuaError(ErrorCode.INVALID_FIELD, "public key must be 32 bytes");
  }
  return sha256(publicKey).subarray(0, ADDRESS_BYTES);
}

export function addressOf(publicKey: Uint8Array): string {
  return `0x${toHex(addressBytes(publicKey))}`;
}

const ADDRESS_RE = /^0x[0-9a-f]{40}$/;

/** True for a canonical address string: 0x and 40 lower-case hex digits. */
export function isAddress(s: unknown): s is string {
  return typeof s === "string" && ADDRESS_RE.test(s);
}

/** Normalises user input (either case) to the canonical lower-case form, or throws. */
export function parseAddress(s: string, field = "address"): string {
  const lower = typeof s === "string" ? s.toLowerCase() : "";
  if (!ADDRESS_RE.test(lower)) {
    throw new PerpetuaError(ErrorCode.INVALID_FIELD, `${field}: expected 0x and 40 hex digits`);
  }
  return lower;
}
