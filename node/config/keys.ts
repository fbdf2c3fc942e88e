/**
 * Key files of the home directory.
 *
 * node_key.json — the libp2p identity (it names the node on the network, signs nothing on
 * chain):
 *   { "peer_id": "12D3KooW…", "seed": "<32-byte ed25519 seed, hex>", "public_key": "<hex>" }
 *
 * validator_key.json — the consensus key, CometBFT's priv_validator_key.json shape so
 * operators recognise it; `address` is perpetua's (0x + hex of sha256(pubkey)[0..20]), not
 * CometBFT's upper-case hex, and priv_key.value is base64 of seed || public key (64 bytes,
 * as CometBFT/Go's ed25519.PrivateKey):
 *   { "address": "0x…",
 *     "pub_key":  { "type": "tendermint/PubKeyEd25519",  "value": "<base64 32 bytes>" },
 *     "priv_key": { "type": "tendermint/PrivKeyEd25519", "value": "<base64 64 bytes>" } }
 *
 * Loading re-derives the public key from the seed and refuses a file whose parts disagree:
 * a hand-edited key file must fail loudly rather than sign with an unexpected key.
 */
import { addressOf } from "../../lib/address.js";
import { concatBytes, equalBytes, fromBase64, fromHex, toBase64, toHex } from "../../lib/bytes.js";
import { type KeyPair, keyPairFromSeed } from "../../lib/ed25519.js";
import { ConfigError } from "./errors.js";

export const PUB_KEY_TYPE = "tendermint/PubKeyEd25519";
export const PRIV_KEY_TYPE = "tendermint/PrivKeyEd25519";

export interface NodeKeyFile {
  peer_id: string;
  seed: string;
  public_key: string;
}

export interface ValidatorKeyFile {
  address: string;
  pub_key: { type: typeof PUB_KEY_TYPE; value: string };
  priv_key: { type: typeof PRIV_KEY_TYPE; value: string };
}

export interface NodeKey extends KeyPair {
  peerId: string;
}

export interface ValidatorKey extends KeyPair {
  address: string;
}

const B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

function base58btc(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = "";
  while (n > 0n) {
    out = B58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (let i = 0; i < bytes.length && bytes[i] === 0; i++) out = `1${out}`;
  return out;
}

/**
 * The libp2p peer id of an ed25519 public key: base58btc of the identity multihash of the
 * protobuf-encoded key { Type: Ed25519 = 1, Data: key } (libp2p peer-ids spec), which is
 * why every ed25519 peer id starts with "12D3KooW".
 */
export function peerIdFromEd25519(publicKey: Uint8Array): string {
  if (publicKey.length !== 32) throw new TypeError("ed25519 public key must be 32 bytes");
  const protobuf = concatBytes(Uint8Array.of(0x08, 0x01, 0x12, 0x20), publicKey);
  const multihash = concatBytes(Uint8Array.of(0x00, protobuf.length), protobuf);
  return base58btc(multihash);
}

export function nodeKeyFromSeed(seed: Uint8Array): NodeKey {
  const kp = keyPairFromSeed(seed);
  return { ...kp, peerId: peerIdFromEd25519(kp.publicKey) };
}

export function validatorKeyFromSeed(seed: Uint8Array): ValidatorKey {
  const kp = keyPairFromSeed(seed);
  return { ...kp, address: addressOf(kp.publicKey) };
}

export function nodeKeyToFile(k: NodeKey): NodeKeyFile {
  return { peer_id: k.peerId, seed: toHex(k.seed), public_key: toHex(k.publicKey) };
}

export function validatorKeyToFile(k: ValidatorKey): ValidatorKeyFile {
  return {
    address: k.address,
    pub_key: { type: PUB_KEY_TYPE, value: toBase64(k.publicKey) },
    priv_key: { type: PRIV_KEY_TYPE, value: toBase64(concatBytes(k.seed, k.publicKey)) },
  };
}

function bad(file: string, reason: string): ConfigError {
  return new ConfigError("KEY_INVALID", `${file}: ${reason}`, { file });
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function nodeKeyFromFile(raw: unknown, file = "node_key.json"): NodeKey {
  if (!isObj(raw)) throw bad(file, "expected an object");
  if (typeof raw.seed !== "string" || !/^[0-9a-f]{64}$/.test(raw.seed)) {
    throw bad(file, "seed: expected 64 lower-case hex digits (a 32-byte ed25519 seed)");
  }
  const key = nodeKeyFromSeed(fromHex(raw.seed));
  if (raw.public_key !== undefined && raw.public_key !== toHex(key.publicKey)) {
    throw bad(file, "public_key does not match the seed");
  }
  if (raw.peer_id !== undefined && raw.peer_id !== key.peerId) {
    throw bad(file, `peer_id does not match the seed (expected ${key.peerId})`);
  }
  return key;
}

export function validatorKeyFromFile(raw: unknown, file = "validator_key.json"): ValidatorKey {
  if (!isObj(raw) || !isObj(raw.priv_key) || !isObj(raw.pub_key)) {
    throw bad(file, "expected { address, pub_key, priv_key }");
  }
  if (raw.priv_key.type !== PRIV_KEY_TYPE)
    throw bad(file, `priv_key.type: expected ${PRIV_KEY_TYPE}`);
  if (raw.pub_key.type !== PUB_KEY_TYPE) throw bad(file, `pub_key.type: expected ${PUB_KEY_TYPE}`);
  let priv: Uint8Array;
  let pub: Uint8Array;
  try {
    priv = fromBase64(String(raw.priv_key.value));
    pub = fromBase64(String(raw.pub_key.value));
  } catch {
    throw bad(file, "priv_key.value and pub_key.value must be standard padded base64");
  }
  if (priv.length !== 64) throw bad(file, "priv_key.value: expected 64 bytes (seed || public key)");
  const key = validatorKeyFromSeed(priv.subarray(0, 32));
  if (!equalBytes(priv.subarray(32), key.publicKey) || !equalBytes(pub, key.publicKey)) {
    throw bad(file, "public key does not match the private key");
  }
  if (raw.address !== key.address) {
    throw bad(file, `address does not match the public key (expected ${key.address})`);
  }
  return key;
}
