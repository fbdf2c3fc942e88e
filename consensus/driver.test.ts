/**
 * The driver as the node will use it: real timers, the file-backed WAL and signer state,
 * one validator over a loopback transport. It commits, stops, is rebuilt from the same
 * files (recovery replays the WAL of the unfinished height) and continues; a torn WAL tail
 * is reported and cut, not fatal.
 */
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { utf8 } from "../lib/bytes.js";
import { sha256 } from "../lib/hash.js";
import { GENESIS_APP_HASH, TestApp, TestAppDisk } from "../test/sim/testApp.js";
import { MemoryBlockStore } from "./blockStore.js";
import { ed25519Scheme } from "./crypto.js";
import { Driver } from "./driver.js";
import { FileSignerStorage } from "./signer/fileSignerStorage.js";
import { GuardedSigner } from "./signer/guardedSigner.js";
import { realTimers } from "./timers.js";
import type { Transport } from "./transport.js";
import { FileWal } from "./wal/fileWal.js";

const dir = mkdtempSync(join(tmpdir(), "perpetua-driver-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SEED = sha256(utf8("single validator"));
const TIMEOUTS = {
  proposeMs: 50,
  proposeDeltaMs: 10,
  prevoteMs: 20,
  prevoteDeltaMs: 10,
  precommitMs: 20,
  precommitDeltaMs: 10,
  commitMs: 1,
};

const loopback: Transport = { broadcast: () => {}, send: () => {}, setHandler: () => {} };

function makeDriver(store: MemoryBlockStore, disk: TestAppDisk) {
  const wal = new FileWal(join(dir, "wal"));
  const signer = new GuardedSigner(
    "c",
    SEED,
    ed25519Scheme,
    new FileSignerStorage(join(dir, "signer")),
  );
  let tx = 0;
  const driver = new Driver(
    {
      chainId: "c",
      initialHeight: 1,
      genesisTimeMs: 1_700_000_000_000,
      genesisValidators: [{ pubKey: ed25519Scheme.publicKey(SEED), power: 1 }],
      genesisAppHash: GENESIS_APP_HASH,
      timeouts: TIMEOUTS,
    },
    {
      app: new TestApp(disk),
      transport: loopback,
      timers: realTimers,
      wal,
      signer,
      blockStore: store,
      scheme: ed25519Scheme,
      mempool: { reap: () => [utf8(`tx${tx++}`)] },
    },
  );
  return { driver, wal };
}

async function until(pred: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("Driver with file WAL and signer, real timers", () => {
  it("commits, restarts from its files and continues", async () => {
    const store = new MemoryBlockStore();
    const disk = new TestAppDisk();
    const a = makeDriver(store, disk);
    await a.driver.start();
    await until(() => store.height() >= 5);
    a.driver.stop();
    await a.driver.drain();
    a.wal.close();
    const stoppedAt = store.height();
    // A crash in the middle of an append leaves a torn record at the end.
    appendFileSync(join(dir, "wal"), Uint8Array.from([0, 0, 0, 50, 1, 2]));
    const b = makeDriver(store, disk);
    expect(b.wal.replay().tornTail?.reason).toMatch(/^torn/);
    await b.driver.start();
    await until(() => store.height() >= stoppedAt + 3);
    b.driver.stop();
    await b.driver.drain();
    b.wal.close();
    expect(disk.height).toBe(store.height());
    for (let h = 2; h <= store.height(); h++) {
      expect(store.load(h)!.block.header.timeMs).toBeGreaterThan(
        store.load(h - 1)!.block.header.timeMs,
      );
    }
  });
});
