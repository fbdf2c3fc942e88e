/**
 * ed25519 keys, signing and verification on node:crypto (OpenSSL), the hot path.
 *
 * Verification applies the perpetua rule of lib/ed25519-rule.ts before OpenSSL's
 * cofactorless check, so it agrees with the pure-JS path on every input. Public keys are
 * validated and turned into KeyObjects once and cached (bounded), since importing a key
 * costs about as much as a verification.
 */
import {
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import { toHex } from "./bytes.js";
import { checkPublicKey, checkSignatureEncoding } from "./ed25519-rule.js";

export interface KeyPair {
  /** The 32-byte RFC 8032 secret seed. */
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
}

// DER prefixes of PKCS#8 (private) and SPKI (public) wrappers for a raw ed25519 key (RFC 8410).
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
const SPKI_PREFIX = Uint8Array.from([
  0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
]);

function wrap(prefix: Uint8Array, key: Uint8Array): Buffer {
  const der = Buffer.alloc(prefix.length + key.length);
  der.set(prefix, 0);
  der.set(key, prefix.length);
  return der;
}

const privateKeys = new Map<string, KeyObject>();

function privateKeyObject(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new TypeError("ed25519 seed must be 32 bytes");
  const id = toHex(seed);
  let key = privateKeys.get(id);
  if (!key) {
    key = createPrivateKey({ key: wrap(PKCS8_PREFIX, seed), format: "der", type: "pkcs8" });
    if (privateKeys.size > 1024) privateKeys.clear();
    privateKeys.set(id, key);
  }
  return key;
}

export function keyPairFromSeed(seed: Uint8Array): KeyPair {
  const pub = createPublicKey(privateKeyObject(seed)).export({ format: "der", type: "spki" });
  return {
    seed: Uint8Array.from(seed),
    publicKey: new Uint8Array(pub.subarray(SPKI_PREFIX.length)),
  };
}

export function generateKeyPair(): KeyPair {
  return keyPairFromSeed(new Uint8Array(randomBytes(32)));
}

export function sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(cryptoSign(null, message, privateKeyObject(seed)));
}

/** A validated public key: null when the key breaks the rule (never verifies anything). */
const publicKeys = new Map<string, KeyObject | null>();
const PUBLIC_KEY_CACHE_MAX = 100_000;

function publicKeyObject(publicKey: Uint8Array): KeyObject | null {
  const id = toHex(publicKey);
  let key = publicKeys.get(id);
  if (key === undefined) {
    key =
      checkPublicKey(publicKey).verdict === "ok"
        ? createPublicKey({ key: wrap(SPKI_PREFIX, publicKey), format: "der", type: "spki" })
        : null;
    if (publicKeys.size >= PUBLIC_KEY_CACHE_MAX) publicKeys.clear();
    publicKeys.set(id, key);
  }
  return key;
}

/** Synchronous verification with the perpetua rule. */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (checkSignatureEncoding(signature) !== "ok") return false;
  const key = publicKeyObject(publicKey);
  if (!key) return false;
  return cryptoVerify(null, message, key, signature);
}

/**
 * Verifications in flight on libuv's thread pool at once; the rest wait here, in order.
 * The pool (4 threads) also runs the consensus WAL's and the signer's fdatasync: a batch
 * of hundreds of signature jobs queued ahead of them would hold a vote back for as long
 * as the whole batch takes. Two jobs keep both cores of a small machine busy.
 *
 * 0 verifies on the event loop instead, a few signatures per turn (see `drainInline`). Each
 * thread-pool job costs two thread hand-offs; when several nodes share a machine (a testnet
 * or devnet on one host) the cores are busy anyway and those hand-offs are pure overhead:
 * measured on 4 nodes on 2 cores at 1,000 tx/s, ~15 % less CPU per node (bench:chain).
 */
let verifyInFlight = 2;
let inFlight = 0;
/** Waiting jobs, in order; a job returns false when it found itself stale and did nothing. */
const waiting: (() => boolean)[] = [];
let waitingHead = 0;

/** Sets how `verifyAsync` runs: N ≥ 1 jobs in flight on libuv's thread pool, or 0 inline. */
export function setVerifyThreads(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError("verify threads must be an integer ≥ 0");
  verifyInFlight = n;
}

/** Inline mode: signatures verified per event-loop turn (~80 µs each), then other work runs. */
const INLINE_PER_TURN = 8;
let inlineScheduled = false;

function drainInline(): void {
  inlineScheduled = false;
  for (let n = 0; n < INLINE_PER_TURN && waitingHead < waiting.length; ) {
    if (takeNext()()) n++;
  }
  if (waitingHead < waiting.length) scheduleInline();
}

function scheduleInline(): void {
  if (inlineScheduled) return;
  inlineScheduled = true;
  setImmediate(drainInline);
}

function takeNext(): () => boolean {
  const next = waiting[waitingHead];
  waiting[waitingHead++] = undefined as unknown as () => boolean;
  if (waitingHead > 1024 && waitingHead * 2 > waiting.length) {
    waiting.splice(0, waitingHead);
    waitingHead = 0;
  }
  return next;
}

/** Starts waiting jobs while a slot is free, skipping those that turned out stale. */
function pump(): void {
  if (verifyInFlight === 0) {
    if (waitingHead < waiting.length) scheduleInline();
    return;
  }
  while (inFlight < verifyInFlight && waitingHead < waiting.length) takeNext()();
}

/** Verification off the caller's turn (see setVerifyThreads), for batches: same rule, same verdicts. */
export function verifyAsync(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  /** Checked when the job's turn comes: true skips it (resolves false, nothing verified). */
  stale?: () => boolean,
): Promise<boolean> {
  if (checkSignatureEncoding(signature) !== "ok") return Promise.resolve(false);
  const key = publicKeyObject(publicKey);
  if (!key) return Promise.resolve(false);
  return new Promise((resolve) => {
    const run = (): boolean => {
      if (stale?.()) {
        resolve(false);
        return false;
      }
      if (verifyInFlight === 0) {
        let ok = false;
        try {
          ok = cryptoVerify(null, message, key, signature);
        } catch {
          // As the thread pool's error callback: not verified (never a lost job).
        }
        resolve(ok);
        return true;
      }
      inFlight++;
      cryptoVerify(null, message, key, signature, (err, ok) => {
        inFlight--;
        pump();
        resolve(!err && ok);
      });
      return true;
    };
    waiting.push(run);
    pump();
  });
}
