import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareBytes, toHex } from "../../lib/bytes.js";
import { KvWriteRejected, MemoryKvStore } from "./memoryKv.js";

const b = (...xs: number[]) => new Uint8Array(xs);

async function all(it: AsyncIterable<[Uint8Array, Uint8Array]>): Promise<string[]> {
  const out: string[] = [];
  for await (const [k] of it) out.push(toHex(k));
  return out;
}

describe("MemoryKvStore", () => {
  it("iterates in byte order whatever the insertion order, across batches and deletes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            puts: fc.array(fc.uint8Array({ minLength: 1, maxLength: 4 }), { maxLength: 8 }),
            dels: fc.array(fc.uint8Array({ minLength: 1, maxLength: 4 }), { maxLength: 4 }),
            iterate: fc.boolean(),
          }),
          { maxLength: 10 },
        ),
        async (batches) => {
          const kv = new MemoryKvStore();
          const model = new Map<string, Uint8Array>();
          for (const batch of batches) {
            await kv.write({ puts: batch.puts.map((k) => [k, k]), dels: batch.dels });
            for (const k of batch.puts) model.set(toHex(k), k);
            for (const k of batch.dels) model.delete(toHex(k));
            if (batch.iterate) {
              const expected = [...model.values()].sort(compareBytes).map(toHex);
              expect(await all(kv.iterate())).toEqual(expected);
            }
          }
          const expected = [...model.values()].sort(compareBytes).map(toHex);
          expect(await all(kv.iterate())).toEqual(expected);
          expect(kv.size).toBe(model.size);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("selects ranges by prefix and bounds, forwards and reversed", async () => {
    const kv = new MemoryKvStore();
    const keys = [b(1), b(1, 0), b(1, 0xff), b(1, 0xff, 0xff), b(2), b(0xff), b(0xff, 0xff)];
    await kv.write({ puts: keys.map((k) => [k, k]), dels: [] });
    expect(await all(kv.iterate({ prefix: b(1) }))).toEqual(["01", "0100", "01ff", "01ffff"]);
    expect(await all(kv.iterate({ prefix: b(0xff) }))).toEqual(["ff", "ffff"]);
    expect(await all(kv.iterate({ gte: b(1, 0xff), lt: b(0xff) }))).toEqual([
      "01ff",
      "01ffff",
      "02",
    ]);
    expect(await all(kv.iterate({ prefix: b(1), gte: b(1, 1), reverse: true }))).toEqual([
      "01ffff",
      "01ff",
    ]);
  });

  it("a rejected write leaves nothing behind", async () => {
    const kv = new MemoryKvStore();
    await kv.write({ puts: [[b(1), b(1)]], dels: [] });
    kv.failNextWrites(1);
    await expect(kv.write({ puts: [[b(2), b(2)]], dels: [b(1)] })).rejects.toBeInstanceOf(
      KvWriteRejected,
    );
    expect(await kv.get(b(1))).toEqual(b(1));
    expect(await kv.get(b(2))).toBeUndefined();
    await kv.write({ puts: [[b(2), b(2)]], dels: [] });
    expect(await all(kv.iterate())).toEqual(["01", "02"]);
  });

  it("overwrites in place or appends, whatever the sizes, and hands out copies", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.uint8Array({ maxLength: 300 })), {
            maxLength: 6,
          }),
          { maxLength: 12 },
        ),
        async (batches) => {
          const kv = new MemoryKvStore();
          const model = new Map<number, Uint8Array>();
          const seen: [Uint8Array, Uint8Array][] = [];
          for (const batch of batches) {
            // Half the batches go packed, as the tree writes them: ranges of one buffer.
            const packed = batches.indexOf(batch) % 2 === 1;
            const puts = batch.map(([k, v]): [Uint8Array, Uint8Array] => [b(k), v]);
            if (packed) {
              const buf = new Uint8Array(puts.reduce((n, [k, v]) => n + k.length + v.length, 0));
              const index = new Int32Array(6 * puts.length);
              let at = 0;
              puts.forEach(([k, v], i) => {
                buf.set(k, at);
                buf.set(v, at + k.length);
                index.set([0, at, k.length, 0, at + k.length, v.length], 6 * i);
                at += k.length + v.length;
              });
              await kv.write({
                puts: [],
                dels: [],
                packed: [{ buffers: [buf], index, count: puts.length }],
              });
            } else {
              await kv.write({ puts, dels: [] });
            }
            for (const [k, v] of batch) model.set(k, v);
            for (const [k] of model) {
              const got = await kv.get(b(k));
              expect(got).toEqual(model.get(k));
              seen.push([got as Uint8Array, (got as Uint8Array).slice()]);
            }
          }
          for await (const [k, v] of kv.iterate()) expect(v).toEqual(model.get(k[0]));
          // What get returned earlier is unchanged by the writes since.
          for (const [got, copy] of seen) expect(got).toEqual(copy);
        },
      ),
      { numRuns: 200 },
    );
  });
});
