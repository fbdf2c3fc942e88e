import "./polyfill.js";
import { generateKeyPairFromSeed, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { describe, expect, it } from "vitest";
import { generateNodeKey, peerIdFromNodeKey, privateKeyFromNodeKey } from "./keys.js";

describe("node keys", () => {
  it("a 32-byte seed and its libp2p protobuf encoding give libp2p's own peer id", async () => {
    const seed = generateNodeKey();
    expect(seed).toHaveLength(32);
    const reference = await generateKeyPairFromSeed("Ed25519", seed);
    const id = peerIdFromPrivateKey(reference).toString();
    expect(peerIdFromNodeKey(seed)).toBe(id);
    expect(peerIdFromNodeKey(privateKeyToProtobuf(reference))).toBe(id);
    expect(id.startsWith("12D3KooW")).toBe(true);
    expect(privateKeyFromNodeKey(seed).type).toBe("Ed25519");
  });

  it("rejects what is neither", () => {
    expect(() => privateKeyFromNodeKey(new Uint8Array(31))).toThrow(/node key/);
  });

  it("provides Promise.withResolvers", () => {
    const { promise, resolve } = (
      Promise as unknown as {
        withResolvers<T>(): { promise: Promise<T>; resolve: (v: T) => void };
      }
    ).withResolvers<number>();
    resolve(7);
    return expect(promise).resolves.toBe(7);
  });
});
