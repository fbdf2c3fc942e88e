/**
 * A signer on node:crypto (OpenSSL), ~16x faster than the pure-JS path: for bots and
 * benchmarks on Node. Kept in its own module so browser bundles of the SDK never see
 * node:crypto.
 */
import { keyPairFromSeed, sign } from "../../lib/ed25519.js";
import { addressOfPublicKey, type Signer } from "./signer.js";

export function nodeSigner(seed: Uint8Array): Signer {
  const kp = keyPairFromSeed(seed);
  return {
    publicKey: kp.publicKey,
    address: addressOfPublicKey(kp.publicKey),
    sign: (message) => sign(kp.seed, message),
  };
}
