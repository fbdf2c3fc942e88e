/**
 * Canonical CBOR (RFC 8949 section 4.2.1, "core deterministic encoding"): hand-written
 * encoder (lib/cborEncode.ts) and decoder (lib/cborDecode.ts); cborg remains the reference
 * implementation they are tested against.
 *
 * Everything that is hashed or signed goes through `encode`: map keys sorted bytewise,
 * shortest integer and length forms, definite lengths only. Floats and `undefined` are
 * refused at encode time (money is bigint, amounts at the edge are decimal strings).
 * Integers that fit in 2^53 may be `number` or `bigint`; both encode to the same bytes.
 *
 * `decode` is strict and checks canonical form in a single pass, without re-encoding: it
 * rejects as MALFORMED indefinite lengths, undefined, NaN/Infinity, duplicate map keys, tags,
 * trailing bytes, non-minimal integers and lengths, non-text map keys and nesting deeper
 * than 256, and as NON_CANONICAL unsorted map keys, floats, invalid UTF-8 and the map key
 * "__proto__". These are the verdicts of cborg's strict decode followed by a canonical
 * re-encode and byte comparison, which it replaced (lib/cborDecode.test.ts compares the
 * two), except that "__proto__" keys and deep nesting are now refused outright. Decoded
 * integers below 2^53 come back as `number`, larger ones as `bigint`: callers convert
 * against their schema (see `asBigInt`, `asSafeInt`).
 */
import { encode as cborgEncode, rfc8949EncodeOptions } from "cborg";
import { decodeCanonical } from "./cborDecode.js";
import { encodeCanonical } from "./cborEncode.js";
import { ErrorCode, PerpetuaError } from "./errors.js";

const encodeOptions = {
  ...rfc8949EncodeOptions,
  typeEncoders: {
    number(n: number) {
      if (!Number.isSafeInteger(n)) {
        throw new PerpetuaError(
          ErrorCode.INVALID_FIELD,
          `canonical CBOR: ${n} is not a safe integer (floats are not allowed)`,
        );
      }
      return null;
    },
    undefined() {
      throw new PerpetuaError(ErrorCode.INVALID_FIELD, "canonical CBOR: undefined is not allowed");
    },
  },
};

/** Encodes a value as canonical CBOR. Throws on floats, undefined and unsupported types. */
export function encode(value: unknown): Uint8Array {
  return encodeCanonical(value);
}

/** The same encoding through cborg (the reference the fast encoder is tested against). */
export function encodeWithCborg(value: unknown): Uint8Array {
  return cborgEncode(value, encodeOptions);
}

/**
 * Decodes canonical CBOR, rejecting every non-canonical form (see the module comment).
 * Throws PerpetuaError MALFORMED for bytes that are not CBOR and NON_CANONICAL for CBOR
 * that has another canonical form.
 */
export function decode(bytes: Uint8Array): unknown {
  return decodeCanonical(bytes, false);
}

/**
 * Decodes CBOR the node wrote itself (storage): the same parse and values, but CBOR that is
 * well-formed and only non-canonical (unsorted keys, floats, invalid UTF-8) is returned as
 * cborg's strict decode returned it instead of refused. Throws PerpetuaError MALFORMED.
 */
export function decodeTrusted(bytes: Uint8Array): unknown {
  return decodeCanonical(bytes, true);
}

/** Converts a decoded integer field to bigint; throws on anything that is not an integer. */
export function asBigInt(v: unknown, field: string): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  throw new PerpetuaError(ErrorCode.INVALID_FIELD, `${field}: expected an integer`);
}

/** Converts a decoded integer field to a safe `number`; throws if it is not one. */
export function asSafeInt(v: unknown, field: string): number {
  if (typeof v === "number" && Number.isSafeInteger(v)) return v;
  if (
    typeof v === "bigint" &&
    v >= BigInt(Number.MIN_SAFE_INTEGER) &&
    v <= BigInt(Number.MAX_SAFE_INTEGER)
  )
    return Number(v);
  throw new PerpetuaError(ErrorCode.INVALID_FIELD, `${field}: expected a safe integer`);
}
