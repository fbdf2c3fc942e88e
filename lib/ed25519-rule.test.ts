import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkPointEncoding, checkSignatureEncoding, L, leToBigInt, P } from "./ed25519-rule.js";

/** The rule's encoding checks written with bigints, as the definition reads. */
function reference(sig: Uint8Array): string {
  if (leToBigInt(sig, 32, 64) >= L) return "s_not_canonical";
  const y = leToBigInt(sig, 0, 32) & ((1n << 255n) - 1n);
  if (y >= P) return "r_not_canonical";
  const small = [1n, P - 1n, 0n].concat(
    [
      "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
      "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    ].map(
      (h) =>
        leToBigInt(Uint8Array.from(h.match(/../g)!.map((x) => Number.parseInt(x, 16))), 0, 32) &
        ((1n << 255n) - 1n),
    ),
  );
  return small.includes(y) ? "r_small_order" : "ok";
}

function le32(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((x >> BigInt(8 * i)) & 0xffn);
  return out;
}

describe("ed25519 rule: encoding checks by byte comparison", () => {
  it("agree with the bigint definition, at the boundaries and at random", () => {
    const near = (x: bigint) =>
      [x - 2n, x - 1n, x, x + 1n].filter((v) => v >= 0n && v < 1n << 256n);
    const ys = [...near(P), 0n, 1n, P - 1n, (1n << 255n) - 1n, 1n << 255n, (1n << 256n) - 1n];
    const ss = [...near(L), 0n, (1n << 253n) - 1n, (1n << 256n) - 1n];
    for (const y of ys) {
      for (const s of ss) {
        const sig = new Uint8Array(64);
        sig.set(le32(y), 0);
        sig.set(le32(s), 32);
        expect(checkSignatureEncoding(sig)).toBe(reference(sig));
      }
    }
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.boolean(), (sig, lowS) => {
        if (lowS) sig[63] &= 0x0f; // mostly below L, so R's checks are reached
        expect(checkSignatureEncoding(sig)).toBe(reference(sig));
        const r = checkPointEncoding(sig, 0);
        expect(r === "ok" ? "ok" : `r_${r}`).toBe(
          reference(Uint8Array.from([...sig.subarray(0, 32), ...new Uint8Array(32)])),
        );
      }),
      { numRuns: 5000 },
    );
  });
});
