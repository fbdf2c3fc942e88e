/**
 * The node block store's in-memory results: bounded by the bytes of their encoding, never
 * dropping the newest height, and an evicted height still reads back whole from LevelDB.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { FinalizeBlockResponse } from "../lib/abci.js";
import { NodeBlockStore } from "./blockStore.js";
import { NodeDb } from "./db/index.js";
import { encodeResults } from "./resultsCodec.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A height's results of about `kb` KiB encoded: order-like results with one event each. */
function results(height: number, kb: number): FinalizeBlockResponse {
  const n = Math.ceil((kb * 1024) / 256);
  return {
    txResults: Array.from({ length: n }, (_, i) => ({
      code: 0,
      log: "",
      data: new Uint8Array(64).fill(i & 0xff),
      events: [
        {
          type: "order",
          attributes: [
            { key: "market", value: "BTC-USD" },
            { key: "id", value: `${height}-${i}` },
            { key: "owner", value: "ab".repeat(80) },
            { key: "status", value: "cancelled" },
          ],
        },
      ],
    })),
    events: [],
    validatorUpdates: [],
    appHash: new Uint8Array(32).fill(height),
  };
}

async function openStore(): Promise<{ db: NodeDb; store: NodeBlockStore }> {
  const path = await mkdtemp(join(tmpdir(), "perpetua-blockstore-"));
  dirs.push(path);
  const db = await NodeDb.open({ path });
  return { db, store: await NodeBlockStore.open(db) };
}

describe("NodeBlockStore recent results", () => {
  it("keeps the newest heights within the byte bound and reads older ones from disk", async () => {
    const { db, store } = await openStore();
    const written = new Map<number, FinalizeBlockResponse>();
    for (let h = 1; h <= 20; h++) {
      const r = results(h, 1024); // ~1 MiB each: far more than the bound holds
      written.set(h, r);
      await store.saveFinalizeResult(h, r);
    }
    const kept = store.recentHeights();
    expect(kept.length).toBeGreaterThan(1);
    expect(kept.length).toBeLessThan(20);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 21 - kept.length + i));
    const keptBytes = kept.reduce((s, h) => s + encodeResults(written.get(h)!).length, 0);
    expect(keptBytes).toBeLessThanOrEqual(8 << 20);
    // Evicted and kept heights read back equal to what was written, whole or one tx alone.
    for (const h of [1, 10, 20]) {
      expect(store.loadFinalizeResult(h)).toEqual(written.get(h));
      expect(store.hasFinalizeResult(h)).toBe(true);
      for (const i of [0, 7, 4095]) {
        expect(store.loadTxResult(h, i)).toEqual(written.get(h)!.txResults[i]);
      }
      expect(store.loadTxResult(h, 4096)).toBeNull();
    }
    expect(store.hasFinalizeResult(21)).toBe(false);
    expect(store.loadTxResult(21, 0)).toBeNull();
    await db.close();
  });

  it("always keeps the newest height, however large, and at most 64 small ones", async () => {
    const { db, store } = await openStore();
    const huge = results(2, 20 * 1024);
    expect(encodeResults(huge).length).toBeGreaterThan(8 << 20); // over the whole bound alone
    await store.saveFinalizeResult(1, results(1, 1));
    await store.saveFinalizeResult(2, huge);
    expect(store.recentHeights()).toEqual([2]);
    for (let h = 3; h <= 80; h++) await store.saveFinalizeResult(h, results(h, 1));
    const kept = store.recentHeights();
    expect(kept.length).toBe(64);
    expect(kept.at(-1)).toBe(80);
    expect(store.loadFinalizeResult(2)).toEqual(huge);
    await db.close();
  });
});
