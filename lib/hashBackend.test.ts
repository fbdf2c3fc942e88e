/**
 * The two SHA-256 paths: the node hashes with node:crypto (its hot paths depend on it), and
 * the pure path that browsers get (lib/hashPure.ts) gives the same digests.
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SHA256_BACKEND } from "./hash.js";
import { sha256, sha256Into, sha256Parts } from "./hashPure.js";

function reference(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

describe("sha256 backends", () => {
  it("on Node, lib/hash.ts hashes with node:crypto", () => {
    expect(SHA256_BACKEND).toBe("node:crypto");
  });

  it("the pure path matches the FIPS 180-4 vectors for '' and 'abc'", () => {
    const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
    expect(hex(sha256(new Uint8Array()))).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(hex(sha256(new TextEncoder().encode("abc")))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("the pure path equals node:crypto on random inputs, into any offset, in parts", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(40), (data, at) => {
        const want = reference(data);
        const out = new Uint8Array(at + 32);
        sha256Into(data, out, at);
        expect([
          sha256(data),
          out.subarray(at),
          sha256Parts(data.subarray(0, 3), data.subarray(3)),
        ]).toEqual([want, want, want]);
      }),
      { numRuns: 300 },
    );
  });
});
