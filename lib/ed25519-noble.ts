/**
 * ed25519 on @noble/ed25519 (pure JS), for clients and environments without node:crypto.
 * Held to the same rule as the node:crypto path: see lib/ed25519-rule.ts. Key generation
 * and signing are RFC 8032 section 5.1.5-5.1.6 and deterministic, so both paths produce
 * identical signatures for the same seed and message.
 */
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import { checkPublicKey, checkSignatureEncoding, L, leToBigInt } from "./ed25519-rule.js";

ed.hashes.sha512 = sha512;

export function publicKeyFromSeedNoble(seed: Uint8Array): Uint8Array {
  return ed.getPublicKey(seed);
}

export function signNoble(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return ed.sign(message, seed);
}

/** Verifies with the perpetua rule (canonical encodings, no small order, cofactorless). */
export function verifyNoble(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (checkSignatureEncoding(signature) !== "ok") return false;
  const { verdict, point: A } = checkPublicKey(publicKey);
  if (verdict !== "ok" || !A) return false;
  let R: ed.Point;
  try {
    R = ed.Point.fromBytes(signature.subarray(0, 32), false);
  } catch {
    return false;
  }
  const s = leToBigInt(signature, 32, 64);
  const h = sha512(concat(signature.subarray(0, 32), publicKey, message));
  const k = leToBigInt(h, 0, 64) % L;
  // Cofactorless: [S]B == R + [k]A, as OpenSSL checks it.
  const sB = ed.Point.BASE.multiply(s, false);
  return sB.equals(R.add(A.multiply(k, false)));
}

function concat(a: Uint8Array, b: Uint8Array, c: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length + c.length);
  out.set(a, 0);
  out.set(b, a.length);
  out.set(c, a.length + b.length);
  return out;
}
