import { Point } from "@noble/ed25519";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "./bytes.js";
import { keyPairFromSeed, setVerifyThreads, sign, verify, verifyAsync } from "./ed25519.js";
import { publicKeyFromSeedNoble, signNoble, verifyNoble } from "./ed25519-noble.js";
import { checkPublicKey, checkSignatureEncoding, L } from "./ed25519-rule.js";

// RFC 8032 section 7.1, TEST 1 and TEST 2.
const RFC8032 = [
  {
    seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    pub: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    msg: "",
    sig: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    seed: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    pub: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    msg: "72",
    sig: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  },
];

// The edge cases of "Taming the many EdDSAs" (Chalkias, Garillot, Nikolaenko, SSR 2020),
// as published in novifinancial/ed25519-speccheck (scripts/cases.json, cases.json):
// small-order and mixed-order keys and R, cofactored-only signatures, S >= L, and
// non-canonical R. Our rule accepts only the case that is valid under every reading
// (canonical, no small order, cofactorless equation holds).
const SPECCHECK: { msg: string; pub: string; sig: string }[] = [
  {
    msg: "2a66241a42a9ee12994d8068dcf1bb7dfc6637b45450acd43711f637fa5080fc",
    pub: "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    sig: "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a0000000000000000000000000000000000000000000000000000000000000000",
  },
  {
    msg: "8c93255d71dcab10e8f379c26200f3c7bd5f09d9bc3068d3ef4edeb4853022b6",
    pub: "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    sig: "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a0000000000000000000000000000000000000000000000000000000000000000",
  },
  {
    msg: "9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41",
    pub: "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    sig: "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43a5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04",
  },
  {
    msg: "9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79",
    pub: "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    sig: "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43a5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04",
  },
  {
    msg: "9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41",
    pub: "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
    sig: "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa182ef1a5b928da07fec769cc8a12db6bcf70dab3f3227fa315e9d5e3e01a3405",
  },
  {
    msg: "aebf3f2601a0c8c5d39cc7d8911642f740b78168218da8471772b35f9d35b9ab",
    pub: "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
    sig: "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa8c4bd45aecaca5b24fb97bc10ac27ac8751a7dfe1baff8b953ec9f5833ca260e",
  },
  {
    msg: "e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c",
    pub: "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
    sig: "160a1cb0dc9c0258cd0a7d23e94d8fa878bcb1925f2c64246b2dee1796bed5125ec6bc982a269b723e0668e540911a9a6a58921d6925e434ab10aa7940551a09",
  },
  {
    msg: "9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79",
    pub: "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
    sig: "9046a64750444938de19f227bb80485e92b83fdb4b6506c160484c016cc1852f87909e14428a7a1d62e9f22f3d3ad7802db02eb2e688b6c52fcd6648a98bd009",
  },
  {
    msg: "e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c",
    pub: "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
    sig: "21122a84e0b5fca4052f5b1235c80a537878b38f3142356b2c2384ebad4668b7e40bc836dac0f71076f9abe3a53f9c03c1ceeeddb658d0030494ace586687405",
  },
  {
    msg: "85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40",
    pub: "442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623",
    sig: "e96f66be976d82e60150baecff9906684aebb1ef181f67a7189ac78ea23b6c0e547f7690a0e2ddcd04d87dbc3490dc19b3b3052f7ff0538cb68afb369ba3a514",
  },
  {
    msg: "85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40",
    pub: "442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623",
    sig: "8ce5b96c8f26d0ab6c47958c9e68b937104cd36e13c33566acd2fe8d38aa19427e71f98a473474f2f13f06f97c20d58cc3f54b8bd0d272f42b695dd7e89a8c22",
  },
  {
    msg: "fdaebc429f4a735932a160da1301080c13280eea8bc280d1b392c6b9e6ba3a5a",
    pub: "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
    sig: "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f454d370c8d9fc323a41450f8d513eafeb5b0697390c1e505a0d4ddc71f566607",
  },
  {
    msg: "84b698d39be126ff55fe45079e6c8bf64a0d7db6994560b4e96b7021eb39c1a1",
    pub: "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
    sig: "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f084d5b99c2a9463d9c8bd5026916996984eeec87ddf1d3be329006ace1b37b09",
  },
];

/** Our verdict, from first principles with noble's own point arithmetic. */
function expectedVerdict(v: { msg: string; pub: string; sig: string }) {
  const sig = fromHex(v.sig);
  const enc = checkSignatureEncoding(sig);
  const key = checkPublicKey(fromHex(v.pub)).verdict;
  return { enc, key };
}

describe("ed25519: one rule on both paths", () => {
  it("matches RFC 8032 section 7.1 vectors on both paths", () => {
    for (const t of RFC8032) {
      const seed = fromHex(t.seed);
      expect(toHex(keyPairFromSeed(seed).publicKey)).toBe(t.pub);
      expect(toHex(publicKeyFromSeedNoble(seed))).toBe(t.pub);
      expect(toHex(sign(seed, fromHex(t.msg)))).toBe(t.sig);
      expect(toHex(signNoble(seed, fromHex(t.msg)))).toBe(t.sig);
      expect(verify(fromHex(t.pub), fromHex(t.msg), fromHex(t.sig))).toBe(true);
      expect(verifyNoble(fromHex(t.pub), fromHex(t.msg), fromHex(t.sig))).toBe(true);
    }
  });

  it("gives the same verdict on every 'Taming the many EdDSAs' edge case, rejecting all but the fully valid ones", async () => {
    const verdicts: boolean[] = [];
    for (const v of SPECCHECK) {
      const [pub, msg, sig] = [fromHex(v.pub), fromHex(v.msg), fromHex(v.sig)];
      const a = verify(pub, msg, sig);
      const b = verifyNoble(pub, msg, sig);
      const c = await verifyAsync(pub, msg, sig);
      expect({ node: a, noble: b, async: c }).toEqual({ node: a, noble: a, async: a });
      verdicts.push(a);
      const { enc, key } = expectedVerdict(v);
      // Anything that breaks the encoding rule is rejected by both paths.
      if (enc !== "ok" || key !== "ok") expect(a).toBe(false);
    }
    // 0-3: small-order A (and R); 4-5: small-order R; 6 and 8: mixed-order A with a
    // signature valid only under the cofactored equation; 7: valid under every reading;
    // 9-10: S >= L; 11-12: non-canonical R.
    expect(verdicts).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it("classifies the edge cases: small-order keys, non-canonical R, S >= L", () => {
    expect(checkPublicKey(fromHex(SPECCHECK[0].pub)).verdict).toBe("a_small_order");
    expect(checkSignatureEncoding(fromHex(SPECCHECK[11].sig))).toBe("r_not_canonical");
    // S = L exactly, and S = L + 1, on a valid signature: malleated copies are rejected.
    const seed = new Uint8Array(32).fill(7);
    const { publicKey } = keyPairFromSeed(seed);
    const msg = new Uint8Array([1, 2, 3]);
    const sig = sign(seed, msg);
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]);
    const malleated = Uint8Array.from(sig);
    let t = s + L;
    for (let i = 32; i < 64; i++) {
      malleated[i] = Number(t & 0xffn);
      t >>= 8n;
    }
    expect(checkSignatureEncoding(malleated)).toBe("s_not_canonical");
    expect(verify(publicKey, msg, malleated)).toBe(false);
    expect(verifyNoble(publicKey, msg, malleated)).toBe(false);
  });

  it("knows every small-order point: the torsion subgroup's encodings are all refused", () => {
    // Generate E[8] from an order-8 point and check each encoding and its negation.
    const p8 = Point.fromBytes(
      fromHex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
      false,
    );
    let q = Point.ZERO;
    for (let i = 0; i < 8; i++) {
      expect(q.isSmallOrder()).toBe(true);
      expect(checkPublicKey(q.toBytes()).verdict).toBe("a_small_order");
      q = q.add(p8);
    }
    expect(q.equals(Point.ZERO)).toBe(true);
  });

  it("agrees with itself on random keys, messages and corrupted signatures", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.nat({ max: 63 }),
        fc.integer({ min: 1, max: 255 }),
        (seed, msg, pos, flip) => {
          const { publicKey } = keyPairFromSeed(seed);
          const sig = sign(seed, msg);
          expect(verify(publicKey, msg, sig)).toBe(true);
          expect(verifyNoble(publicKey, msg, sig)).toBe(true);
          const bad = Uint8Array.from(sig);
          bad[pos] ^= flip;
          expect(verify(publicKey, msg, bad)).toBe(verifyNoble(publicKey, msg, bad));
          expect(verify(publicKey, msg, bad)).toBe(false);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("rejects wrong lengths without throwing", () => {
    expect(verify(new Uint8Array(31), new Uint8Array(), new Uint8Array(64))).toBe(false);
    expect(verify(new Uint8Array(32).fill(9), new Uint8Array(), new Uint8Array(63))).toBe(false);
    expect(verifyNoble(new Uint8Array(33), new Uint8Array(), new Uint8Array(64))).toBe(false);
  });
});

describe("verifyAsync's queue", () => {
  for (const threads of [2, 0]) {
    it(`${threads === 0 ? "inline" : "thread pool"}: runs every job in order of submission, skips those stale at their turn, and gives the same verdicts`, async () => {
      setVerifyThreads(threads);
      try {
        await queueCase();
      } finally {
        setVerifyThreads(2);
      }
    });
  }

  it("inline: other work gets event-loop turns between slices of a long queue", async () => {
    setVerifyThreads(0);
    try {
      const seed = new Uint8Array(32).fill(3);
      const { publicKey } = keyPairFromSeed(seed);
      const m = new Uint8Array([1]);
      const sig = sign(seed, m);
      let done = 0;
      const all = Array.from({ length: 64 }, () =>
        verifyAsync(publicKey, m, sig).then((ok) => {
          expect(ok).toBe(true);
          done++;
        }),
      );
      // Queued after 64 verifications: runs before the last of them, not after.
      const seenAt = await new Promise<number>((resolve) => setImmediate(() => resolve(done)));
      await Promise.all(all);
      expect(seenAt).toBeLessThan(64);
      expect(done).toBe(64);
    } finally {
      setVerifyThreads(2);
    }
  });

  it("refuses a negative or fractional thread count", () => {
    expect(() => setVerifyThreads(-1)).toThrow(RangeError);
    expect(() => setVerifyThreads(1.5)).toThrow(RangeError);
  });
});

async function queueCase(): Promise<void> {
  {
    const seed = new Uint8Array(32).fill(7);
    const { publicKey } = keyPairFromSeed(seed);
    const msgs = Array.from({ length: 40 }, (_, i) => new Uint8Array([i, 1, 2, 3]));
    const sigs = msgs.map((m) => sign(seed, m));
    sigs[5] = sign(seed, new Uint8Array([99])); // a wrong signature
    const stale = new Set([7, 8, 30]);
    const started: number[] = [];
    const verdicts = await Promise.all(
      msgs.map((m, i) =>
        verifyAsync(publicKey, m, sigs[i], () => {
          started.push(i);
          return stale.has(i);
        }),
      ),
    );
    expect(started).toEqual(msgs.map((_, i) => i)); // FIFO
    for (let i = 0; i < msgs.length; i++) {
      expect(verdicts[i], `job ${i}`).toBe(!stale.has(i) && i !== 5);
    }
  }
}
