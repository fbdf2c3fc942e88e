/**
 * The LevelDB-backed state KvStore must behave exactly like state/store's MemoryKvStore
 * (the reference the authenticated store is tested against): same gets, same ordered
 * ranges for every prefix/gte/lt/reverse combination, same put-then-delete rule.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { toHex } from "../../lib/bytes.js";
import type { KvRange, KvStore } from "../../state/store/kv.js";
import { MemoryKvStore } from "../../state/store/memoryKv.js";
import { LevelDbController, MemoryDbController, StateKvStore } from "./index.js";

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

// Small alphabet (with 0x00 and 0xff edges) so keys share prefixes and ranges hit them.
const byte = fc.constantFrom(0x00, 0x01, 0x7f, 0xfe, 0xff);
const key = fc
  .uint8Array({ minLength: 1, maxLength: 3 })
  .map((k) => k.map((b) => [0, 1, 0x7f, 0xfe, 0xff][b % 5]));
const bytes = fc.array(byte, { minLength: 0, maxLength: 2 }).map((a) => Uint8Array.from(a));
const batch = fc.record({
  puts: fc.array(fc.tuple(key, fc.uint8Array({ maxLength: 4 })), { maxLength: 8 }),
  dels: fc.array(key, { maxLength: 4 }),
});
const range: fc.Arbitrary<KvRange> = fc.record(
  { prefix: bytes, gte: bytes, lt: bytes, reverse: fc.boolean() },
  { requiredKeys: [] },
);

async function dump(kv: KvStore, r: KvRange): Promise<string[]> {
  const out: string[] = [];
  for await (const [k, v] of kv.iterate(r)) out.push(`${toHex(k)}=${toHex(v)}`);
  return out;
}

describe.each([
  ["memory controller", async () => new MemoryDbController()],
  [
    "leveldb",
    async () => {
      const d = await mkdtemp(join(tmpdir(), "perpetua-kvprop-"));
      dirs.push(d);
      return LevelDbController.open({ path: d });
    },
  ],
])("StateKvStore over %s equals MemoryKvStore", (_name, make) => {
  it("for random batches and ranges", async () => {
    const controller = await make();
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(batch, { minLength: 1, maxLength: 5 }),
        fc.array(range, { minLength: 1, maxLength: 6 }),
        async (batches, ranges) => {
          // A fresh bucket-sized namespace per run: clear what the previous run wrote.
          const adapter = new StateKvStore(controller);
          for await (const [k] of adapter.iterate()) await adapter.write({ puts: [], dels: [k] });
          const reference = new MemoryKvStore();
          for (const b of batches) {
            await reference.write(b);
            await adapter.write(b);
          }
          for (const r of ranges) expect(await dump(adapter, r)).toEqual(await dump(reference, r));
          for (const [k] of batches.flatMap((b) => b.puts)) {
            expect(toHex((await adapter.get(k)) ?? new Uint8Array())).toBe(
              toHex((await reference.get(k)) ?? new Uint8Array()),
            );
          }
          round++;
        },
      ),
      { numRuns: 60 },
    );
    expect(round).toBe(60);
    await controller.close();
  });
});
