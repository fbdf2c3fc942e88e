import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256, sha256Into, sha256OfImmutable, sha256Parts } from "./hash.js";

function reference(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

describe("sha256", () => {
  it("matches the FIPS 180-4 vector for 'abc'", () => {
    expect(Buffer.from(sha256(new TextEncoder().encode("abc"))).toString("hex")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("equals node:crypto's digest on random inputs, every byte value included", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(sha256(all)).toEqual(reference(all));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(40), (data, offset) => {
        const want = reference(data);
        expect(sha256(data)).toEqual(want);
        const out = new Uint8Array(offset + 40).fill(0xaa);
        sha256Into(data, out, offset);
        expect(out.subarray(offset, offset + 32)).toEqual(want);
        expect(out.subarray(0, offset).every((b) => b === 0xaa)).toBe(true);
        expect(out.subarray(offset + 32).every((b) => b === 0xaa)).toBe(true);
        expect(sha256Parts(data.subarray(0, 3), data.subarray(3))).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });
});

describe("sha256OfImmutable", () => {
  it("gives sha256 of the bytes, per array, and a copy the caller may change", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        const want = reference(data);
        const first = sha256OfImmutable(data);
        expect(first).toEqual(want);
        first.fill(0); // the caller's copy: the remembered digest is not touched
        expect(sha256OfImmutable(data)).toEqual(want);
        expect(sha256OfImmutable(Uint8Array.from(data))).toEqual(want); // another array
        expect(sha256OfImmutable(data.subarray(0, data.length >> 1))).toEqual(
          reference(data.subarray(0, data.length >> 1)),
        );
      }),
    );
  });
});
