/**
 * Keys and signers for the SDK. The signing path goes through the `Signer` interface so a
 * browser or wallet can supply its own; `nobleSigner` is pure JS (no node:crypto) and
 * `nodeSigner` (./nodeSigner.ts) uses OpenSSL for speed. Both are RFC 8032 and produce
 * identical signatures for the same seed and message.
 */
import * as ed from "@noble/ed25519";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { fromHex, toHex } from "../../lib/bytes.js";

ed.hashes.sha512 = sha512;

export interface Signer {
  /** The 32-byte ed25519 public key that goes into `body.signer`. */
  readonly publicKey: Uint8Array;
  /** The account address: "0x" + hex of the first 20 bytes of sha256(publicKey). */
  readonly address: string;
  /** Signs the exact sign bytes ("perpetua/tx/v1" || cbor(body)); may be async (wallets). */
  sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** Address of a public key (DESIGN.md section 5), computed without node:crypto. */
export function addressOfPublicKey(publicKey: Uint8Array): string {
  if (publicKey.length !== 32) throw new TypeError("public key must be 32 bytes");
  return `0x${toHex(sha256(publicKey).subarray(0, 20))}`;
}

/** 32 random bytes from the platform CSPRNG (Web Crypto, present in Node 20 and browsers). */
export function generateSeed(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(32));
}

/** Parses a 64-hex-digit seed (optionally 0x-prefixed) with a precise error. */
export function seedFromHex(hex: string): Uint8Array {
  const h = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (!/^[0-9a-fA-F]{64}$/.test(h)) throw new TypeError("seed must be 64 hex digits (32 bytes)");
  return fromHex(h.toLowerCase());
}

/** A signer on @noble/ed25519: works anywhere JavaScript runs. */
export function nobleSigner(seed: Uint8Array): Signer {
  if (seed.length !== 32) throw new TypeError("ed25519 seed must be 32 bytes");
  const secret = Uint8Array.from(seed);
  const publicKey = ed.getPublicKey(secret);
  return {
    publicKey,
    address: addressOfPublicKey(publicKey),
    sign: (message) => ed.sign(message, secret),
  };
}
