import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../lib/bytes.js";
import { chacha20Block, wordsLE } from "./chacha20.js";

function blockHex(keyHex: string, counter: number, nonceHex: string): string {
  const out = new Uint32Array(16);
  chacha20Block(
    wordsLE(fromHex(keyHex), new Uint32Array(8)),
    counter,
    wordsLE(fromHex(nonceHex), new Uint32Array(3)),
    out,
  );
  const bytes = new Uint8Array(64);
  for (let i = 0; i < 16; i++) {
    bytes[4 * i] = out[i] & 0xff;
    bytes[4 * i + 1] = (out[i] >>> 8) & 0xff;
    bytes[4 * i + 2] = (out[i] >>> 16) & 0xff;
    bytes[4 * i + 3] = out[i] >>> 24;
  }
  return toHex(bytes);
}

describe("chacha20Block", () => {
  it("RFC 8439 section 2.3.2 test vector", () => {
    expect(
      blockHex(
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        1,
        "000000090000004a00000000",
      ),
    ).toBe(
      "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e" +
        "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e",
    );
  });

  it("RFC 8439 appendix A.1 test vectors 1 and 2 (all-zero key and nonce)", () => {
    const zeroKey = "00".repeat(32);
    const zeroNonce = "00".repeat(12);
    expect(blockHex(zeroKey, 0, zeroNonce)).toBe(
      "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7" +
        "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586",
    );
    expect(blockHex(zeroKey, 1, zeroNonce)).toBe(
      "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed" +
        "29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f",
    );
  });
});
