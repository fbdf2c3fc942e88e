import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { BlockStore as ConsensusBlockStore } from "../../consensus/blockStore.js";
import { type Block, blockHash } from "../../consensus/types/block.js";
import type { Commit } from "../../consensus/types/commit.js";
import { decodeTrusted, encode } from "../../lib/cbor.js";
import { type BlockCodec, CodecBlockStore, LevelDbController, NodeDb } from "./index.js";

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

// A stand-in codec (plain canonical CBOR of the objects); the node will pass the real one.
const codec: BlockCodec<Block, Commit> = {
  encodeBlock: (b) => encode(b),
  decodeBlock: (bytes) => decodeTrusted(bytes) as Block,
  encodeCommit: (c) => encode(c),
  decodeCommit: (bytes) => decodeTrusted(bytes) as Commit,
  heightOf: (b) => b.header.height,
  hashOf: (b) => blockHash(b),
};

function block(height: number): Block {
  const z = new Uint8Array(32);
  return {
    header: {
      chainId: "test",
      height,
      timeMs: 1_700_000_000_000 + height,
      lastBlockHash: z,
      lastCommitHash: z,
      dataHash: z,
      validatorsHash: z,
      nextValidatorsHash: z,
      appHash: z,
      proposerAddress: new Uint8Array(20),
      evidenceHash: z,
    },
    txs: [Uint8Array.of(height)],
    lastCommit: null,
    evidence: [],
  };
}

function commit(height: number, b: Block): Commit {
  return { height, round: 0, blockHash: blockHash(b), sigs: [] };
}

describe("CodecBlockStore (consensus BlockStore over LevelDB)", () => {
  it("saves, loads synchronously, and keeps its height across reopen", async () => {
    const path = await mkdtemp(join(tmpdir(), "perpetua-bs-"));
    dirs.push(path);
    let controller = await LevelDbController.open({ path });
    // Compile-time check: it satisfies the consensus driver's interface.
    let bs: ConsensusBlockStore = await CodecBlockStore.open(controller, codec);
    expect(bs.height()).toBe(0);
    expect(bs.load(1)).toBeNull();
    for (const h of [1, 2, 3]) {
      const b = block(h);
      await bs.save(b, commit(h, b));
    }
    expect(bs.height()).toBe(3);
    const got = bs.load(2);
    expect(got?.block.header.height).toBe(2);
    expect(got?.commit.blockHash).toEqual(blockHash(block(2)));
    await controller.close();

    controller = await LevelDbController.open({ path });
    bs = await CodecBlockStore.open(controller, codec);
    expect(bs.height()).toBe(3);
    const db = new NodeDb(controller);
    expect(await db.blockStore.heightOf(blockHash(block(3)))).toBe(3);
    expect(await db.meta.lastBlockHeight()).toBe(3);
    expect(await db.blockStore.getSeenCommit(2)).toBeUndefined();
    expect(await db.blockStore.getSeenCommit(3)).toBeDefined();
    await controller.close();
  });
});
