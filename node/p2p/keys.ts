/**
 * The node's libp2p identity (`<home>/config/node_key.json`).
 *
 * A node key is the 32-byte RFC 8032 ed25519 seed, the same form as every other key of ours
 * (lib/ed25519), so the config module stores it as hex next to the peer id it implies. For
 * keys exported by other libp2p tools, `privateKeyFromNodeKey` also accepts the libp2p
 * protobuf encoding of an ed25519 private key (any length other than 32).
 */
import "./polyfill.js";
import { randomBytes } from "node:crypto";
import { privateKeyFromProtobuf, privateKeyFromRaw } from "@libp2p/crypto/keys";
import type { PeerId, PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { concatBytes } from "../../lib/bytes.js";
import { keyPairFromSeed } from "../../lib/ed25519.js";

/** A fresh node key: 32 random bytes, the ed25519 seed. */
export function generateNodeKey(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}

/** The libp2p private key of a node key (32-byte seed, or libp2p protobuf bytes). */
export function privateKeyFromNodeKey(nodeKey: Uint8Array): PrivateKey {
  if (nodeKey.length === 32) {
    // libp2p's raw ed25519 form is seed || public key (64 bytes).
    const { publicKey } = keyPairFromSeed(nodeKey);
    return privateKeyFromRaw(concatBytes(nodeKey, publicKey));
  }
  let key: PrivateKey;
  try {
    key = privateKeyFromProtobuf(nodeKey);
  } catch (e) {
    throw new TypeError(
      `node key: expected a 32-byte ed25519 seed or a libp2p protobuf private key (${(e as Error).message})`,
    );
  }
  if (key.type !== "Ed25519") throw new TypeError(`node key: expected Ed25519, got ${key.type}`);
  return key;
}

/** The peer id (base58btc string, `12D3KooW...`) a node key implies. */
export function peerIdFromNodeKey(nodeKey: Uint8Array): string {
  return peerIdFromPrivateKey(privateKeyFromNodeKey(nodeKey)).toString();
}

/** Same as `peerIdFromNodeKey`, as a libp2p PeerId object. */
export function peerIdObjectFromNodeKey(nodeKey: Uint8Array): PeerId {
  return peerIdFromPrivateKey(privateKeyFromNodeKey(nodeKey));
}
