import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareBytes, equalBytes, toHex } from "../../lib/bytes.js";
import { MemoryKvStore } from "./memoryKv.js";
import { decodeProof, EMPTY_ROOT, encodeProof, type Proof, verifyProof } from "./proof.js";
import { referenceRoot } from "./reference.js";
import { AuthenticatedStore, BUCKET_TREE, sortedBatch } from "./store.js";

/** Keys from a small space, so histories overwrite and delete keys they wrote before. */
const keyOf = (i: number) => new Uint8Array([0x10, i >>> 8, i & 0xff]);
const valOf = (i: number, salt: number) => new Uint8Array([i & 0xff, salt & 0xff, 7]);

type Op = { key: number; value: number | null };
// Mostly a crowded corner of the key space (deletes there empty nodes and pull leaves up),
// sometimes the whole of it (deeper trees).
const opArb = fc.record({
  key: fc.oneof(fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 400 })),
  value: fc.option(fc.integer({ min: 0, max: 255 }), { nil: null, freq: 3 }),
});
const historyArb = fc.array(fc.array(opArb, { maxLength: 60 }), { minLength: 1, maxLength: 6 });

function applyModel(model: Map<number, Uint8Array>, ops: Op[]): void {
  for (const op of ops) {
    if (op.value === null) model.delete(op.key);
    else model.set(op.key, valOf(op.key, op.value));
  }
}

function stage(store: AuthenticatedStore, ops: Op[]): void {
  for (const op of ops) {
    if (op.value === null) store.delete(keyOf(op.key));
    else store.set(keyOf(op.key), valOf(op.key, op.value));
  }
}

function modelRoot(model: Map<number, Uint8Array>): Uint8Array {
  return referenceRoot([...model].map(([k, v]) => [keyOf(k), v]));
}

async function dump(kv: MemoryKvStore, prefix: Uint8Array): Promise<string[]> {
  const out: string[] = [];
  for await (const [k, v] of kv.iterate({ prefix })) out.push(`${toHex(k)}=${toHex(v)}`);
  return out;
}

/** One commit of the whole model into a fresh store: the from-scratch rebuild. */
async function rebuild(model: Map<number, Uint8Array>, shuffleSeed: number) {
  const kv = new MemoryKvStore();
  const store = await AuthenticatedStore.open(kv);
  const entries = [...model];
  // A deterministic shuffle: staging order must not matter.
  entries.sort((a, b) => ((a[0] * 7919 + shuffleSeed) % 401) - ((b[0] * 7919 + shuffleSeed) % 401));
  for (const [k, v] of entries) store.set(keyOf(k), v);
  await store.commit();
  return { kv, store };
}

describe("AuthenticatedStore: roots", () => {
  it("the empty store has the empty root at version 0", async () => {
    const store = await AuthenticatedStore.open(new MemoryKvStore());
    expect(store.root()).toEqual(EMPTY_ROOT);
    expect(store.version()).toBe(0);
  });

  it("random histories give the reference root, the rebuilt root and the rebuilt storage", async () => {
    await fc.assert(
      fc.asyncProperty(historyArb, fc.nat(1000), async (blocks, seed) => {
        const kv = new MemoryKvStore();
        const store = await AuthenticatedStore.open(kv);
        const model = new Map<number, Uint8Array>();
        for (const ops of blocks) {
          stage(store, ops);
          applyModel(model, ops);
          const { root, version } = await store.commit();
          expect(toHex(root)).toBe(toHex(modelRoot(model)));
          expect(version).toBe(store.version());
        }
        const fresh = await rebuild(model, seed);
        expect(toHex(fresh.store.root())).toBe(toHex(store.root()));
        // Nodes that moved or vanished were deleted: storage equals a from-scratch build.
        expect(await dump(kv, BUCKET_TREE)).toEqual(await dump(fresh.kv, BUCKET_TREE));
      }),
      { numRuns: 150 },
    );
  });

  it("reads see staged writes; discard drops them", async () => {
    const store = await AuthenticatedStore.open(new MemoryKvStore());
    store.set(keyOf(1), valOf(1, 1));
    await store.commit();
    store.set(keyOf(1), valOf(1, 2));
    store.delete(keyOf(1));
    expect(await store.get(keyOf(1))).toBeUndefined();
    expect(await store.getCommitted(keyOf(1))).toEqual(valOf(1, 1));
    store.discard();
    expect(await store.get(keyOf(1))).toEqual(valOf(1, 1));
    expect(store.pendingCount()).toBe(0);
  });

  it("rejects empty and oversized keys and non-increasing versions", async () => {
    const store = await AuthenticatedStore.open(new MemoryKvStore());
    expect(() => store.set(new Uint8Array(0), new Uint8Array(1))).toThrow(TypeError);
    expect(() => store.set(new Uint8Array(1025), new Uint8Array(1))).toThrow(TypeError);
    await store.commit(5);
    await expect(store.commit(5)).rejects.toThrow(/version/);
    expect((await store.commit()).version).toBe(6);
    // Commits queued without waiting still take consecutive versions.
    const [a, b] = await Promise.all([store.commit(), store.commit()]);
    expect([a.version, b.version]).toEqual([7, 8]);
  });
});

describe("AuthenticatedStore: persistence", () => {
  it("a reopened store has the same root, version, values and entries, and keeps going", async () => {
    await fc.assert(
      fc.asyncProperty(historyArb, historyArb, async (before, after) => {
        const kv = new MemoryKvStore();
        const model = new Map<number, Uint8Array>();
        let store = await AuthenticatedStore.open(kv);
        for (const ops of before) {
          stage(store, ops);
          applyModel(model, ops);
          await store.commit();
        }
        // Reopen before every block: every node on a dirty path is loaded lazily.
        for (const ops of after) {
          const again = await AuthenticatedStore.load(kv);
          expect(toHex(again.root())).toBe(toHex(store.root()));
          expect(again.version()).toBe(store.version());
          store = again;
          stage(store, ops);
          applyModel(model, ops);
          const { root } = await store.commit();
          expect(toHex(root)).toBe(toHex(modelRoot(model)));
        }
        const reopened = await AuthenticatedStore.open(kv);
        for (const [k, v] of model) expect(await reopened.get(keyOf(k))).toEqual(v);
        const seen: string[] = [];
        for await (const [k, v] of reopened.entries(new Uint8Array([0x10]))) {
          seen.push(toHex(k));
          expect(v).toEqual(model.get((k[1] << 8) | k[2]));
        }
        const expected = [...model.keys()].map(keyOf).sort(compareBytes).map(toHex);
        expect(seen).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it("a rejected commit batch leaves the previous version, in memory and on reopen", async () => {
    const kv = new MemoryKvStore();
    const store = await AuthenticatedStore.open(kv);
    for (let i = 0; i < 300; i++) store.set(keyOf(i), valOf(i, 0));
    const v1 = await store.commit();
    const stored = await dump(kv, new Uint8Array(0));

    for (let i = 0; i < 300; i += 3) store.delete(keyOf(i));
    for (let i = 300; i < 400; i++) store.set(keyOf(i), valOf(i, 1));
    kv.failNextWrites(1);
    await expect(store.commit()).rejects.toThrow(/rejected/);

    expect(store.root()).toEqual(v1.root);
    expect(store.version()).toBe(1);
    expect(await dump(kv, new Uint8Array(0))).toEqual(stored);
    const reopened = await AuthenticatedStore.open(kv);
    expect(reopened.root()).toEqual(v1.root);
    expect(reopened.version()).toBe(1);
    const p = await store.prove(keyOf(3));
    expect(verifyProof(v1.root, keyOf(3), valOf(3, 0), p.proof)).toBe(true);

    // The changes are still staged: a retry commits them.
    expect(store.pendingCount()).toBe(200);
    const v2 = await store.commit();
    const model = new Map<number, Uint8Array>();
    for (let i = 0; i < 400; i++)
      if (i >= 300 || i % 3 !== 0) model.set(i, valOf(i, i < 300 ? 0 : 1));
    expect(toHex(v2.root)).toBe(toHex(modelRoot(model)));
    expect(v2.version).toBe(2);
  });

  it("extra puts and deletes land in the same batch as the state", async () => {
    const kv = new MemoryKvStore();
    const store = await AuthenticatedStore.open(kv);
    const blockKey = new Uint8Array([0x10, 1]);
    store.set(keyOf(1), valOf(1, 1));
    await store.commit(1, { puts: [[blockKey, new Uint8Array([42])]], dels: [] });
    expect(await kv.get(blockKey)).toEqual(new Uint8Array([42]));
    expect(kv.writes).toBe(1);
    store.set(keyOf(2), valOf(2, 1));
    kv.failNextWrites(1);
    await expect(store.commit(2, { puts: [], dels: [blockKey] })).rejects.toThrow();
    expect(await kv.get(blockKey)).toEqual(new Uint8Array([42]));
    expect(() =>
      store.commit(2, { puts: [[new Uint8Array([2]), new Uint8Array(1)]], dels: [] }),
    ).toThrow(TypeError);
  });

  it("deleting everything in a reopened store returns to the empty root and storage", async () => {
    const kv = new MemoryKvStore();
    const store = await AuthenticatedStore.open(kv);
    for (let i = 0; i < 2000; i++) store.set(keyOf(i), valOf(i, 0));
    await store.commit();
    const again = await AuthenticatedStore.open(kv);
    for (let i = 0; i < 2000; i += 2) again.delete(keyOf(i));
    await again.commit();
    const third = await AuthenticatedStore.open(kv);
    for (let i = 1; i < 2000; i += 2) third.delete(keyOf(i));
    expect((await third.commit()).root).toEqual(EMPTY_ROOT);
    expect(await dump(kv, BUCKET_TREE)).toEqual([]);
  });

  it("a stored node with any byte changed halts the reopened store when it is loaded", async () => {
    const kv = new MemoryKvStore();
    const store = await AuthenticatedStore.open(kv);
    for (let i = 0; i < 3000; i++) store.set(keyOf(i), valOf(i, 1));
    await store.commit();
    // Tree records below the root: [key, value] copies.
    const records: [Uint8Array, Uint8Array][] = [];
    for await (const [k, v] of kv.iterate({ prefix: BUCKET_TREE }))
      if (k[1] > 0) records.push([k, v]);
    expect(records.length).toBeGreaterThan(20);
    // Bytes of the header, of an internal child's hash, and of a leaf's keyHash and valueHash
    // (the record ends with leaves when it has any): each one is caught.
    for (const [n, pick] of [
      [0, (_: Uint8Array) => 2],
      [1, (_: Uint8Array) => 6],
      [2, (v: Uint8Array) => v.length - 40],
      [3, (v: Uint8Array) => v.length - 1],
    ] as const) {
      const [key, value] = records[(7 * n + 3) % records.length];
      const bad = value.slice();
      bad[pick(bad)] ^= 0x01;
      await kv.write({ puts: [[key, bad]], dels: [] });
      const reopened = await AuthenticatedStore.open(kv);
      const proofs = Promise.all(Array.from({ length: 3000 }, (_, i) => reopened.prove(keyOf(i))));
      await expect(proofs).rejects.toMatchObject({ name: "InvariantError" });
      await kv.write({ puts: [[key, value]], dels: [] });
    }
    // Restored, every proof verifies again.
    const reopened = await AuthenticatedStore.open(kv);
    const { proof, value, root } = await reopened.prove(keyOf(5));
    expect(verifyProof(root, keyOf(5), value, proof)).toBe(true);
  });
});

function tamper(proof: Proof, rnd: number): Proof | undefined {
  const copy: Proof = {
    path: proof.path.map((p) => ({ bitmap: p.bitmap, siblings: p.siblings.map((s) => s.slice()) })),
    leaf: proof.leaf && {
      keyHash: proof.leaf.keyHash.slice(),
      valueHash: proof.leaf.valueHash.slice(),
    },
  };
  const withSiblings = copy.path.filter((p) => p.siblings.length > 0);
  if (rnd % 3 === 0 && withSiblings.length > 0) {
    const p = withSiblings[rnd % withSiblings.length];
    p.siblings[rnd % p.siblings.length][rnd % 32] ^= 1;
    return copy;
  }
  if (rnd % 3 === 1 && copy.path.length > 0) {
    const p = copy.path[rnd % copy.path.length];
    p.bitmap ^= 1 << (rnd % 16);
    return copy;
  }
  if (copy.leaf !== undefined) {
    copy.leaf.valueHash[rnd % 32] ^= 0x80;
    return copy;
  }
  if (copy.path.length > 0) {
    copy.path.pop();
    return copy;
  }
  return undefined;
}

describe("AuthenticatedStore: proofs", () => {
  it("prove and verify present and absent keys; tampering fails", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 120 }),
        fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 20 }),
        fc.nat(),
        async (present, queries, rnd) => {
          const kv = new MemoryKvStore();
          const writer = await AuthenticatedStore.open(kv);
          for (const k of present) writer.set(keyOf(k), valOf(k, 9));
          await writer.commit();
          // Prove from a reopened store: the proof walks lazily loaded nodes.
          const store = await AuthenticatedStore.open(kv);
          const root = store.root();
          const set = new Set(present);
          for (const q of queries) {
            const { value, proof, root: provenRoot } = await store.prove(keyOf(q));
            expect(provenRoot).toEqual(root);
            const wire = decodeProof(encodeProof(proof));
            if (set.has(q)) {
              expect(value).toEqual(valOf(q, 9));
              expect(verifyProof(root, keyOf(q), value, wire)).toBe(true);
              expect(verifyProof(root, keyOf(q), valOf(q, 8), wire)).toBe(false);
              expect(verifyProof(root, keyOf(q), undefined, wire)).toBe(false);
            } else {
              expect(value).toBeUndefined();
              expect(verifyProof(root, keyOf(q), undefined, wire)).toBe(true);
              expect(verifyProof(root, keyOf(q), valOf(q, 9), wire)).toBe(false);
            }
            const badRoot = root.slice();
            badRoot[rnd % 32] ^= 4;
            expect(verifyProof(badRoot, keyOf(q), value, wire)).toBe(false);
            const t = tamper(wire, rnd + q);
            if (t !== undefined) expect(verifyProof(root, keyOf(q), value, t)).toBe(false);
            // A proof for one key says nothing about another.
            if (!set.has(q + 1) && !equalBytes(keyOf(q), keyOf(q + 1))) {
              const other = verifyProof(root, keyOf(q + 1), undefined, wire);
              if (other) expect(set.has(q)).toBe(false);
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("the empty tree proves every key absent, and nothing present", async () => {
    const store = await AuthenticatedStore.open(new MemoryKvStore());
    const { proof, value } = await store.prove(keyOf(1));
    expect(value).toBeUndefined();
    expect(verifyProof(EMPTY_ROOT, keyOf(1), undefined, proof)).toBe(true);
    expect(verifyProof(EMPTY_ROOT, keyOf(1), valOf(1, 1), proof)).toBe(false);
  });

  it("malformed proofs are false, not exceptions", () => {
    const root = new Uint8Array(32).fill(1);
    const k = keyOf(1);
    const bad = [
      { path: [{ bitmap: 0x1_0000, siblings: [] }] },
      { path: [{ bitmap: 3, siblings: [new Uint8Array(31)] }] },
      { path: null as unknown as [] },
      { path: [], leaf: { keyHash: new Uint8Array(3), valueHash: new Uint8Array(32) } },
    ];
    for (const p of bad) expect(verifyProof(root, k, undefined, p as Proof)).toBe(false);
    expect(() => decodeProof(new Uint8Array([0x80]))).toThrow();
  });
});

describe("sortedBatch", () => {
  it("orders like a byte comparison, including keys whose first 4 bytes are equal", () => {
    const n = 3000;
    const hashes = new Uint8Array(64 * n);
    let x = 12345;
    const next = () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x >>> 24;
    };
    for (let i = 0; i < 64 * n; i++) hashes[i] = next();
    // Force runs of equal 32-bit prefixes (every 7th op copies the prefix of op 0 or op 1).
    for (let i = 2; i < n; i += 7) hashes.copyWithin(64 * i, 64 * (i % 2), 64 * (i % 2) + 4);
    const deletes = new Uint8Array(n).map((_, i) => (i % 5 === 0 ? 1 : 0));
    const ops = Array.from({ length: n }, (_, i) => ({
      kv: hashes.slice(64 * i, 64 * i + 64),
      del: deletes[i],
    }));
    ops.sort((a, b) => compareBytes(a.kv.subarray(0, 32), b.kv.subarray(0, 32)));
    const batch = sortedBatch(hashes, deletes, n);
    expect(batch.count).toBe(n);
    for (let i = 0; i < n; i++) {
      expect(batch.hashes.subarray(64 * i, 64 * i + 64)).toEqual(ops[i].kv);
      expect(batch.deletes[i]).toBe(ops[i].del);
    }
  });
});
