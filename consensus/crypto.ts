/**
 * The signature scheme consensus signs and verifies with, injected so that the simulator
 * and the benchmark can swap ed25519 for a cheap deterministic stand-in.
 *
 * `ed25519Scheme` is the only scheme a real node may use (lib/ed25519: RFC 8032 with the
 * perpetua canonical-encoding rule, node:crypto). `insecureTestScheme` is NOT a signature:
 * anyone who knows the public key can compute it. It exists so that simulations of
 * thousands of heights and the protocol-overhead benchmark are not dominated by ed25519
 * verification; every output that uses it says so.
 */

import { concatBytes, equalBytes } from "../lib/bytes.js";
import { keyPairFromSeed, sign, verify } from "../lib/ed25519.js";
import { sha256 } from "../lib/hash.js";

export interface SignatureScheme {
  readonly name: string;
  publicKey(seed: Uint8Array): Uint8Array;
  sign(seed: Uint8Array, message: Uint8Array): Uint8Array;
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

export const ed25519Scheme: SignatureScheme = {
  name: "ed25519",
  publicKey: (seed) => keyPairFromSeed(seed).publicKey,
  sign: (seed, message) => sign(seed, message),
  verify: (publicKey, message, signature) => verify(publicKey, message, signature),
};

function fakeSignature(publicKey: Uint8Array, message: Uint8Array): Uint8Array {
  // One-shot hash of the concatenation: cheaper than an incremental hash object.
  const h = sha256(concatBytes(publicKey, message));
  const out = new Uint8Array(64);
  out.set(h, 0);
  out.set(h, 32);
  return out;
}

/** sha256(publicKey || message), twice: deterministic, 64 bytes, and forgeable by anyone. */
export const insecureTestScheme: SignatureScheme = {
  name: "insecure-test-sha256",
  publicKey: (seed) => sha256(seed),
  sign: (seed, message) => fakeSignature(sha256(seed), message),
  verify: (publicKey, message, signature) =>
    signature.length === 64 && equalBytes(fakeSignature(publicKey, message), signature),
};
