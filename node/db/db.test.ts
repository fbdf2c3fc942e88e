import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { toHex, utf8 } from "../../lib/bytes.js";
import { AuthenticatedStore } from "../../state/store/store.js";
import {
  type BlockCommit,
  Bucket,
  commitWithState,
  type DatabaseController,
  DbError,
  LevelDbController,
  MemoryDbController,
  NodeDb,
  WriteBatch,
} from "./index.js";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "perpetua-db-"));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const b = (...xs: number[]) => Uint8Array.from(xs);
const hex = (u: Uint8Array | undefined) => (u === undefined ? undefined : toHex(u));

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function blockAt(height: number, txs = 2): BlockCommit {
  return {
    height,
    hash: utf8(`hash-${height}`),
    block: utf8(`block-${height}`),
    commit: utf8(`commit-${height}`),
    seenCommit: utf8(`seen-${height}`),
    results: utf8(`results-${height}`),
    txHashes: Array.from({ length: txs }, (_, i) => utf8(`tx-${height}-${i}`)),
    appHash: utf8(`app-${height}`),
  };
}

const controllers: [string, () => Promise<DatabaseController>][] = [
  ["memory", async () => new MemoryDbController()],
  ["leveldb", async () => LevelDbController.open({ path: await tempDir() })],
];

describe.each(controllers)("%s controller", (_name, make) => {
  let db: DatabaseController;
  beforeEach(async () => {
    db = await make();
    return () => db.close();
  });

  it("puts, gets (async and sync) and deletes", async () => {
    await db.put(b(1, 2), b(9));
    expect(hex(await db.get(b(1, 2)))).toBe("09");
    expect(hex(db.getSync(b(1, 2)))).toBe("09");
    expect(await db.get(b(1, 3))).toBeUndefined();
    await db.del(b(1, 2));
    expect(await db.get(b(1, 2))).toBeUndefined();
  });

  it("iterates in byte order with gte/lt/reverse/limit", async () => {
    const batch = new WriteBatch();
    for (const k of [b(2), b(1, 0xff), b(1), b(3, 0), b(1, 0)]) batch.putRaw(k, k);
    await db.write(batch);
    const keys = async (r: Parameters<DatabaseController["iterate"]>[0]) =>
      (await collect(db.iterate(r))).map(([k]) => toHex(k));
    expect(await keys({})).toEqual(["01", "0100", "01ff", "02", "0300"]);
    expect(await keys({ gte: b(1, 0), lt: b(3) })).toEqual(["0100", "01ff", "02"]);
    expect(await keys({ reverse: true, limit: 2 })).toEqual(["0300", "02"]);
  });

  it("iteration is a snapshot as of the call", async () => {
    await db.put(b(1), b(1));
    const it = db.iterate({});
    await db.put(b(2), b(2));
    expect((await collect(it)).map(([k]) => toHex(k))).toEqual(["01"]);
  });

  it("a batch with an invalid op writes nothing", async () => {
    await db.put(b(5), b(5));
    const batch = new WriteBatch().putRaw(b(1), b(1)).delRaw(b(5));
    batch.ops.push({ type: "put", key: b(2), value: undefined as unknown as Uint8Array });
    batch.putRaw(b(3), b(3));
    let settled: unknown = "not settled";
    batch.onWritten((err) => {
      settled = err;
    });
    await expect(db.write(batch)).rejects.toMatchObject({ code: "DB_INVALID_KEY" });
    expect(settled).toBeInstanceOf(DbError);
    expect(await db.get(b(1))).toBeUndefined();
    expect(await db.get(b(3))).toBeUndefined();
    expect(hex(await db.get(b(5)))).toBe("05");
  });

  it("applies ops in order: a put then a del of the same key ends deleted", async () => {
    await db.write(new WriteBatch().putRaw(b(7), b(7)).delRaw(b(7)).putRaw(b(8), b(8)));
    expect(await db.get(b(7))).toBeUndefined();
    expect(hex(await db.get(b(8)))).toBe("08");
  });

  it("refuses to write a batch twice", async () => {
    const batch = new WriteBatch().putRaw(b(1), b(1));
    await db.write(batch);
    await expect(db.write(batch)).rejects.toThrow(/already written/);
    expect(() => batch.putRaw(b(2), b(2))).toThrow(/already written/);
  });

  it("fails clearly after close", async () => {
    await db.close();
    expect(db.isOpen).toBe(false);
    const closed = { name: "DbError", code: "DB_CLOSED" };
    await expect(db.get(b(1))).rejects.toMatchObject(closed);
    await expect(db.put(b(1), b(1))).rejects.toMatchObject(closed);
    expect(() => db.getSync(b(1))).toThrow(/is not open \(getSync after close/);
    await expect(db.write(new WriteBatch().putRaw(b(1), b(1)))).rejects.toMatchObject(closed);
    await expect(
      (async () => {
        for await (const _ of db.iterate()) {
          // unreachable
        }
      })(),
    ).rejects.toMatchObject(closed);
  });
});

describe.each([
  ["memory", async () => NodeDb.inMemory()],
  ["leveldb", async () => NodeDb.open({ path: await tempDir() })],
])("%s repositories", (_name, make) => {
  let db: NodeDb;
  beforeEach(async () => {
    db = await make();
    return () => db.close();
  });

  it("block store: by height, by hash, commits, ordered by height", async () => {
    // 255 -> 256 and 65535 -> 65536 change the byte length of a naive encoding: big-endian
    // 8-byte keys must still iterate in numeric order.
    const heights = [65536, 1, 256, 2, 255, 65535, 10];
    for (const h of heights) {
      const batch = db.batch();
      db.stageBlock(batch, blockAt(h));
      await db.write(batch);
    }
    const bs = db.blockStore;
    expect(new TextDecoder().decode(await bs.getBlock(256))).toBe("block-256");
    expect(new TextDecoder().decode(bs.getBlockSync(10))).toBe("block-10");
    expect(await bs.getBlock(3)).toBeUndefined();
    expect(await bs.heightOf(utf8("hash-255"))).toBe(255);
    const byHash = await bs.getBlockByHash(utf8("hash-65535"));
    expect(byHash?.height).toBe(65535);
    expect(new TextDecoder().decode(await bs.getCommit(2))).toBe("commit-2");
    expect(await bs.height()).toBe(65536);
    expect(await bs.base()).toBe(1);
    const sorted = [...heights].sort((x, y) => x - y);
    expect((await collect(bs.range(0))).map(([h]) => h)).toEqual(sorted);
    expect((await collect(bs.range(2, 256))).map(([h]) => h)).toEqual([2, 10, 255]);
    expect(await collect(bs.blocks.keys({ reverse: true, limit: 2 }))).toEqual([65536, 65535]);
  });

  it("keeps only the latest seen commit", async () => {
    for (const h of [1, 2, 3]) {
      const batch = db.batch();
      db.stageBlock(batch, blockAt(h));
      await db.write(batch);
    }
    expect(await db.blockStore.getSeenCommit(2)).toBeUndefined();
    expect(new TextDecoder().decode(await db.blockStore.getSeenCommit(3))).toBe("seen-3");
  });

  it("block results, tx index and chain meta", async () => {
    const batch = db.batch();
    db.stageBlock(batch, blockAt(7, 3));
    db.meta.stageGenesisHash(batch, b(0xaa));
    await db.write(batch);
    expect(new TextDecoder().decode(await db.results.get(7))).toBe("results-7");
    expect(await db.txIndex.get(utf8("tx-7-2"))).toEqual({ height: 7, index: 2 });
    expect(await db.txIndex.get(utf8("tx-8-0"))).toBeUndefined();
    expect(await db.meta.lastBlockHeight()).toBe(7);
    const app = await db.meta.appState();
    expect(app?.height).toBe(7);
    expect(new TextDecoder().decode(app?.appHash)).toBe("app-7");
    expect(hex(await db.meta.genesisHash())).toBe("aa");
  });

  it("signer state (synchronous load) and evidence", async () => {
    expect(db.signer.load()).toBeUndefined();
    await db.signer.save(b(1, 2, 3));
    expect(hex(db.signer.load())).toBe("010203");
    await db.evidence.put(b(0xee), b(4));
    expect(hex(await db.evidence.get(b(0xee)))).toBe("04");
    expect((await collect(db.evidence.keys())).map(toHex)).toEqual(["ee"]);
  });

  it("an empty database reports height 0 and no app state", async () => {
    expect(await db.blockStore.height()).toBe(0);
    expect(await db.meta.lastBlockHeight()).toBe(0);
    expect(await db.meta.appState()).toBeUndefined();
  });

  it("state KvStore: prefix/gte/lt/reverse ranges stay inside the state bucket", async () => {
    // Neighbouring buckets hold data too: ranges must never leak into them.
    await db.controller.put(b(Bucket.State - 1, 1), b(0));
    await db.controller.put(b(Bucket.State + 1, 0), b(0));
    await db.state.write({
      puts: [
        [b(1, 1), b(11)],
        [b(1, 2), b(12)],
        [b(2), b(20)],
        [b(0xff, 0xff), b(99)],
      ],
      dels: [],
    });
    const keys = async (r: Parameters<NodeDb["state"]["iterate"]>[0]) =>
      (await collect(db.state.iterate(r))).map(([k]) => toHex(k));
    expect(await keys({})).toEqual(["0101", "0102", "02", "ffff"]);
    expect(await keys({ prefix: b(1) })).toEqual(["0101", "0102"]);
    expect(await keys({ prefix: b(0xff) })).toEqual(["ffff"]);
    expect(await keys({ prefix: b(1), gte: b(1, 2) })).toEqual(["0102"]);
    expect(await keys({ lt: b(2), reverse: true })).toEqual(["0102", "0101"]);
    expect(hex(await db.state.get(b(2)))).toBe("14");
  });

  it("state KvStore: a key put and deleted in one batch ends deleted", async () => {
    await db.state.write({ puts: [[b(5), b(5)]], dels: [b(5)] });
    expect(await db.state.get(b(5))).toBeUndefined();
  });

  it("commitBlock writes block, results, tx index, meta and state in one batch", async () => {
    const store = await AuthenticatedStore.open(db.state);
    store.set(utf8("acct/alice"), utf8("100"));
    const res = await db.commitBlock(blockAt(1), () => store.commit(1));
    expect(res.version).toBe(1);
    expect(await db.blockStore.height()).toBe(1);
    expect(await db.txIndex.get(utf8("tx-1-0"))).toEqual({ height: 1, index: 0 });
    const again = await AuthenticatedStore.open(db.state);
    expect(toHex(again.root())).toBe(toHex(res.root));
    expect(new TextDecoder().decode(await again.get(utf8("acct/alice")))).toBe("100");
  });

  it("commitBlock propagates an app failure before its write and writes nothing", async () => {
    await expect(
      db.commitBlock(blockAt(1), async () => {
        throw new Error("app exploded");
      }),
    ).rejects.toThrow("app exploded");
    expect(await db.blockStore.height()).toBe(0);
    expect(db.state.capturePending).toBe(false);
  });

  it("commitBlock writes the block alone if the app commits without a state write", async () => {
    await db.commitBlock(blockAt(1), async () => "nothing");
    expect(await db.blockStore.height()).toBe(1);
    expect(db.state.capturePending).toBe(false);
  });
});

describe("atomic block commit under failure", () => {
  it("memory: a rejected batch writes neither block nor state; the store keeps its root", async () => {
    const db = NodeDb.inMemory();
    const store = await AuthenticatedStore.open(db.state);
    store.set(utf8("k"), utf8("v1"));
    const first = await db.commitBlock(blockAt(1), () => store.commit(1));
    store.set(utf8("k"), utf8("v2"));
    (db.controller as MemoryDbController).failNextWrites(1);
    await expect(db.commitBlock(blockAt(2), () => store.commit(2))).rejects.toMatchObject({
      code: "DB_WRITE_FAILED",
    });
    expect(await db.blockStore.height()).toBe(1);
    expect(await db.meta.lastBlockHeight()).toBe(1);
    expect(toHex(store.root())).toBe(toHex(first.root));
    expect(store.version()).toBe(1);
    const reopened = await AuthenticatedStore.open(db.state);
    expect(new TextDecoder().decode(await reopened.get(utf8("k")))).toBe("v1");
  });

  it("leveldb: an invalid op mid-batch writes nothing, and the data survives reopen", async () => {
    const path = await tempDir();
    let db = await NodeDb.open({ path });
    let store = await AuthenticatedStore.open(db.state);
    store.set(utf8("k"), utf8("v1"));
    const first = await db.commitBlock(blockAt(1), () => store.commit(1));

    // Height 2: block ops, then the state write joins, then an invalid op after it.
    store.set(utf8("k"), utf8("v2"));
    store.set(utf8("other"), utf8("x"));
    const batch = db.batch();
    db.stageBlock(batch, blockAt(2));
    const staged = db.state.captureNextWrite(batch);
    const appCommit = store.commit(2);
    await staged;
    batch.ops.push({ type: "put", key: b(Bucket.ChainMeta), value: null as unknown as Uint8Array });
    await expect(db.write(batch)).rejects.toMatchObject({ code: "DB_INVALID_KEY" });
    await expect(appCommit).rejects.toMatchObject({ code: "DB_INVALID_KEY" });
    expect(toHex(store.root())).toBe(toHex(first.root));
    await db.close();

    db = await NodeDb.open({ path });
    expect(await db.blockStore.height()).toBe(1);
    expect(await db.blockStore.getBlock(2)).toBeUndefined();
    expect(await db.txIndex.get(utf8("tx-2-0"))).toBeUndefined();
    expect((await db.meta.appState())?.height).toBe(1);
    store = await AuthenticatedStore.open(db.state);
    expect(store.version()).toBe(1);
    expect(toHex(store.root())).toBe(toHex(first.root));
    expect(new TextDecoder().decode(await store.get(utf8("k")))).toBe("v1");
    expect(await store.get(utf8("other"))).toBeUndefined();
    await db.close();
  });

  it("leveldb: commitWithState surfaces the db error and the app's write rejects", async () => {
    const db = await NodeDb.open({ path: await tempDir() });
    const store = await AuthenticatedStore.open(db.state);
    store.set(utf8("k"), utf8("v"));
    const batch = db.batch();
    batch.ops.push({ type: "del", key: undefined as unknown as Uint8Array });
    await expect(
      commitWithState(db.controller, batch, db.state, () => store.commit(1)),
    ).rejects.toMatchObject({ code: "DB_INVALID_KEY" });
    expect(store.version()).toBe(0);
    await db.close();
  });
});

describe("leveldb lifecycle", () => {
  it("persists across reopen", async () => {
    const path = await tempDir();
    let db = await NodeDb.open({ path });
    for (const h of [1, 2, 3]) await db.commitBlock(blockAt(h), async () => undefined);
    await db.close();
    db = await NodeDb.open({ path });
    expect(await db.blockStore.height()).toBe(3);
    expect(await db.txIndex.get(utf8("tx-3-1"))).toEqual({ height: 3, index: 1 });
    await db.close();
  });

  it("a second open of the same directory fails with DB_LOCKED", async () => {
    const path = await tempDir();
    const db = await LevelDbController.open({ path });
    await expect(LevelDbController.open({ path })).rejects.toMatchObject({
      code: "DB_LOCKED",
      message: expect.stringMatching(/locked by another process/),
    });
    await db.close();
  });
});
