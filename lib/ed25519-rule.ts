/**
 * The one ed25519 verification rule of perpetua (DESIGN.md section 3), shared by the
 * node:crypto hot path (lib/ed25519.ts) and the pure-JS client path (lib/ed25519-noble.ts).
 *
 * RFC 8032 section 5.1.7 with canonical encodings, checked before any curve arithmetic:
 *  - the signature is 64 bytes and the public key 32 bytes;
 *  - S < L (rejects malleable signatures, "Taming the many EdDSAs" cases 6-7);
 *  - R and A are canonical: their y coordinate is < p (cases 8-11);
 *  - neither R nor A is a point of small order (cases 0-2; libsodium's policy), so
 *    mixed-order tricks on the identity cannot make distinct inputs verify;
 *  - A decodes to a point of the curve;
 * then the cofactorless equation [S]B = R + [k]A with k = SHA-512(R || A || M) mod L, which
 * is what OpenSSL (behind node:crypto) computes. The noble path evaluates the same equation
 * (not noble's default cofactored ZIP-215 one), so both paths give one verdict on every
 * input; lib/ed25519.test.ts runs the published edge-case vectors through both.
 */
import { Point } from "@noble/ed25519";

/** The prime of the field, p = 2^255 - 19. */
export const P = (1n << 255n) - 19n;
/** The order of the prime subgroup, L = 2^252 + 27742317777372353535851937790883648493. */
export const L = (1n << 252n) + 27742317777372353535851937790883648493n;

function leToBigInt(bytes: Uint8Array, start: number, end: number): bigint {
  let x = 0n;
  for (let i = end - 1; i >= start; i--) x = (x << 8n) | BigInt(bytes[i]);
  return x;
}

/** A number below 2^256 as 32 little-endian bytes. */
function toLe32(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((x >> BigInt(8 * i)) & 0xffn);
  return out;
}

const P_LE = toLe32(P);
const L_LE = toLe32(L);

/**
 * bytes[offset, offset + 32) as a little-endian number, its top bit cleared when `maskTop`
 * (a point encoding's y), compared with `bound` (32 little-endian bytes): true if it is
 * smaller. Byte comparisons from the most significant end: no bigint per signature.
 */
function lessThanLe(
  bytes: Uint8Array,
  offset: number,
  bound: Uint8Array,
  maskTop: boolean,
): boolean {
  for (let i = 31; i >= 0; i--) {
    const b = i === 31 && maskTop ? bytes[offset + 31] & 0x7f : bytes[offset + i];
    if (b !== bound[i]) return b < bound[i];
  }
  return false;
}

/** y coordinates (sign bit cleared) of the eight points of small order on edwards25519. */
const SMALL_ORDER_Y: readonly Uint8Array[] = [
  // Encodings of the order-1, -2, -4 and -8 points (the torsion subgroup E[8]); each y
  // value stands for both x signs. Verified against noble's isSmallOrder in the tests.
  "0100000000000000000000000000000000000000000000000000000000000000", // identity, y = 1
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2, y = p - 1
  "0000000000000000000000000000000000000000000000000000000000000000", // order 4, y = 0
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
].map((hex) => {
  const b = Uint8Array.from(hex.match(/../g)!.map((h) => Number.parseInt(h, 16)));
  b[31] &= 0x7f;
  return b;
});

function isSmallOrderY(enc: Uint8Array, offset: number): boolean {
  for (const y of SMALL_ORDER_Y) {
    let same = (enc[offset + 31] & 0x7f) === y[31];
    for (let i = 0; same && i < 31; i++) same = enc[offset + i] === y[i];
    if (same) return true;
  }
  return false;
}

export type EncodingVerdict =
  | "ok"
  | "bad_length"
  | "s_not_canonical"
  | "r_not_canonical"
  | "r_small_order"
  | "a_not_canonical"
  | "a_small_order"
  | "a_not_on_curve";

/** Checks a 32-byte point encoding for canonical y and small order. */
export function checkPointEncoding(
  enc: Uint8Array,
  offset: number,
): "ok" | "not_canonical" | "small_order" {
  if (!lessThanLe(enc, offset, P_LE, true)) return "not_canonical";
  if (isSmallOrderY(enc, offset)) return "small_order";
  return "ok";
}

/** The signature half of the rule: length, S < L, canonical R not of small order. */
export function checkSignatureEncoding(signature: Uint8Array): EncodingVerdict {
  if (signature.length !== 64) return "bad_length";
  if (!lessThanLe(signature, 32, L_LE, false)) return "s_not_canonical";
  const r = checkPointEncoding(signature, 0);
  if (r === "not_canonical") return "r_not_canonical";
  if (r === "small_order") return "r_small_order";
  return "ok";
}

/**
 * The public-key half of the rule: canonical, not of small order, on the curve. Returns
 * the decoded point for the noble path. Costs one field square root: cache the result.
 */
export function checkPublicKey(publicKey: Uint8Array): { verdict: EncodingVerdict; point?: Point } {
  if (publicKey.length !== 32) return { verdict: "bad_length" };
  const a = checkPointEncoding(publicKey, 0);
  if (a === "not_canonical") return { verdict: "a_not_canonical" };
  if (a === "small_order") return { verdict: "a_small_order" };
  let point: Point;
  try {
    point = Point.fromBytes(publicKey, false);
  } catch {
    return { verdict: "a_not_on_curve" };
  }
  return { verdict: "ok", point };
}

export { leToBigInt };
