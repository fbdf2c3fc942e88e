import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareBytes, toHex } from "../../lib/bytes.js";
import { MemoryKvStore } from "./memoryKv.js";
import { keyHashOf, valueHashOf } from "./proof.js";
import { referenceRoot } from "./reference.js";
import { batchOf, SparseMerkleTree, type TreeBatch, type TreeOp } from "./smt.js";

const PREFIX = new Uint8Array([0x02]);
const keyOf = (i: number) => new Uint8Array([i]);

async function commit(
  tree: SparseMerkleTree,
  kv: MemoryKvStore,
  batch: Map<number, number | null>,
) {
  const ops: TreeOp[] = [...batch].map(([k, v]) => ({
    keyHash: keyHashOf(keyOf(k)),
    valueHash: v === null ? undefined : valueHashOf(new Uint8Array([v])),
  }));
  ops.sort((a, b) => compareBytes(a.keyHash, b.keyHash));
  const update = await tree.prepare(ops);
  await kv.write({ puts: [], dels: update.dels, packed: [update.packed] });
  tree.adopt(update);
}

describe("SparseMerkleTree", () => {
  it("long histories in a crowded key space: reference root every block, nodes recycled", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(
            fc.tuple(fc.integer({ min: 0, max: 40 }), fc.option(fc.nat(255), { nil: null })),
            {
              maxLength: 25,
            },
          ),
          { minLength: 10, maxLength: 40 },
        ),
        fc.boolean(),
        async (blocks, reopen) => {
          const kv = new MemoryKvStore();
          let tree = SparseMerkleTree.empty(kv, PREFIX);
          const model = new Map<number, number>();
          for (const ops of blocks) {
            const batch = new Map<number, number | null>(ops);
            for (const [k, v] of batch) {
              if (v === null) model.delete(k);
              else model.set(k, v);
            }
            await commit(tree, kv, batch);
            const expected = referenceRoot(
              [...model].map(([k, v]) => [keyOf(k), new Uint8Array([v])]),
            );
            expect(toHex(tree.rootHash())).toBe(toHex(expected));
            if (reopen) tree = await SparseMerkleTree.open(kv, PREFIX, tree.rootHash());
          }
          if (!reopen) {
            // Replaced nodes went back to the pool: live leaves = live keys.
            expect(tree.nodeCounts().leaves).toBe(model.size);
          }
          const all = new Map<number, number | null>([...model.keys()].map((k) => [k, null]));
          await commit(tree, kv, all);
          expect(tree.nodeCounts()).toEqual(
            reopen ? tree.nodeCounts() : { internal: 0, leaves: 0 },
          );
          expect(kv.size).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("a discarded update frees its nodes and leaves the tree as it was", async () => {
    const kv = new MemoryKvStore();
    const tree = SparseMerkleTree.empty(kv, PREFIX);
    await commit(tree, kv, new Map([...Array(50).keys()].map((k) => [k, k])));
    const before = { root: toHex(tree.rootHash()), counts: tree.nodeCounts() };
    const ops: TreeOp[] = [...Array(20).keys()]
      .map((k) => ({
        keyHash: keyHashOf(keyOf(k + 40)),
        valueHash: valueHashOf(new Uint8Array([1])),
      }))
      .sort((a, b) => compareBytes(a.keyHash, b.keyHash));
    tree.discard(await tree.prepare(ops));
    expect({ root: toHex(tree.rootHash()), counts: tree.nodeCounts() }).toEqual(before);
  });

  it("a batch whose hashes are not word-aligned gives the same root as an aligned one", async () => {
    const ops: TreeOp[] = Array.from({ length: 200 }, (_, i) => ({
      keyHash: keyHashOf(new Uint8Array([i, 7])),
      valueHash: valueHashOf(new Uint8Array([i])),
    })).sort((a, b) => compareBytes(a.keyHash, b.keyHash));
    const aligned = batchOf(ops);
    const shifted = new Uint8Array(aligned.hashes.length + 1);
    shifted.set(aligned.hashes, 1);
    const unaligned: TreeBatch = { ...aligned, hashes: shifted.subarray(1) };
    const a = SparseMerkleTree.empty(new MemoryKvStore(), PREFIX);
    const b = SparseMerkleTree.empty(new MemoryKvStore(), PREFIX);
    const ua = await a.prepare(aligned);
    const ub = await b.prepare(unaligned);
    expect(toHex(ub.rootHash)).toBe(toHex(ua.rootHash));
    expect(toHex(ua.rootHash)).toBe(
      toHex(
        referenceRoot(
          Array.from({ length: 200 }, (_, i) => [new Uint8Array([i, 7]), new Uint8Array([i])]),
        ),
      ),
    );
  });
});
