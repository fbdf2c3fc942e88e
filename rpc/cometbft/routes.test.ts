/** CometBFT route semantics beyond decoding: defaults, ranges, pagination, errors. */
import { describe, expect, it } from "vitest";
import { RpcCode } from "../errors.js";
import type { RouteContext } from "../routes.js";
import { Router } from "../routes.js";
import { blockAt, commitAt, FOUR_VALIDATORS, GENESIS, resultsAt, statusAt } from "./fixtures.js";
import { type ChainSource, registerCometRoutes } from "./routes.js";

const ctx: RouteContext = {
  transport: "http",
  remoteAddress: "127.0.0.1",
  requestId: 1,
  afterResponse: () => {},
};

function chain(base: number, latest: number, broadcasts: Uint8Array[] = []): ChainSource {
  return {
    heights: () => ({ base, latest }),
    status: () => statusAt(latest),
    netInfo: () => ({ listening: true, listeners: [], peers: [] }),
    genesis: () => GENESIS,
    block: (h) => (h >= base && h <= latest ? blockAt(h) : undefined),
    blockResults: (h) => resultsAt(h),
    commit: (h) => ({ header: blockAt(h).header, commit: commitAt(h), canonical: true }),
    validators: () => [...FOUR_VALIDATORS, ...FOUR_VALIDATORS],
    tx: () => undefined,
    checkTx: () => ({ code: 0, log: "" }),
    broadcastTx: (tx) => {
      broadcasts.push(tx);
      return { code: 0, log: "" };
    },
    broadcastTxCommit: () => ({ check: { code: 102, log: "bad signature" } }),
    mempool: () => ({ count: 0, totalBytes: 0 }),
  };
}

async function err(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code: number; message: string };
  }
  throw new Error("expected an error");
}

describe("CometBFT routes", () => {
  it("block defaults to the latest height and refuses heights outside the store", async () => {
    const r = new Router();
    registerCometRoutes(r, chain(3, 30));
    const latest = (await r.call("block", {}, ctx)) as { block: { header: { height: string } } };
    expect(latest.block.header.height).toBe("30");
    const pos = (await r.call("block", ["7"], ctx)) as { block: { header: { height: string } } };
    expect(pos.block.header.height).toBe("7");
    const high = await err(r.call("block", { height: 31 }, ctx));
    expect(high.code).toBe(RpcCode.INVALID_PARAMS);
    expect(high.message).toContain(
      "height: 31 must be less than or equal to the current height 30",
    );
    expect((await err(r.call("block", { height: 2 }, ctx))).message).toContain(
      "lowest stored height 3",
    );
    expect((await err(r.call("block", { height: 0 }, ctx))).code).toBe(RpcCode.INVALID_PARAMS);
    // CometBFT clients send extra params: ignored on these routes
    expect(await r.call("block", { height: 5, extra: true }, ctx)).toBeDefined();
  });

  it("before the first block, height-taking methods say so", async () => {
    const r = new Router();
    registerCometRoutes(r, chain(0, 0));
    expect((await err(r.call("block", {}, ctx))).message).toContain("no block has been committed");
  });

  it("blockchain: at most 20 metas, highest first, clamped to the store", async () => {
    const r = new Router();
    registerCometRoutes(r, chain(3, 30));
    const heights = async (params: unknown) =>
      (
        (await r.call("blockchain", params, ctx)) as {
          block_metas: { header: { height: string } }[];
        }
      ).block_metas.map((m) => Number(m.header.height));
    expect(await heights({})).toEqual(Array.from({ length: 20 }, (_, i) => 30 - i));
    expect(await heights({ minHeight: "1", maxHeight: "5" })).toEqual([5, 4, 3]);
    expect(await heights({ minHeight: 28, maxHeight: 100 })).toEqual([30, 29, 28]);
    expect(
      (await err(r.call("blockchain", { minHeight: 9, maxHeight: 5 }, ctx))).message,
    ).toContain("minHeight");
  });

  it("validators: pagination like CometBFT", async () => {
    const r = new Router();
    registerCometRoutes(r, chain(1, 5));
    const page = (await r.call("validators", { page: "2", per_page: "3" }, ctx)) as {
      count: string;
      total: string;
      block_height: string;
    };
    expect(page).toMatchObject({ count: "3", total: "8", block_height: "5" });
    expect((await err(r.call("validators", { page: 4, per_page: 3 }, ctx))).message).toContain(
      "page: must be 1..3",
    );
  });

  it("tx: hash must be 32 bytes; prove is refused; unknown hash named", async () => {
    const r = new Router();
    registerCometRoutes(r, chain(1, 5));
    expect((await err(r.call("tx", { hash: "AAAA" }, ctx))).message).toContain(
      "hash: expected 32 bytes",
    );
    const h = Buffer.alloc(32, 1).toString("base64");
    expect((await err(r.call("tx", { hash: h, prove: true }, ctx))).message).toContain("prove");
    expect((await err(r.call("tx", { hash: h }, ctx))).message).toContain("not found");
  });

  it("broadcast_tx_async returns at once and still submits; commit reports a rejected check", async () => {
    const sent: Uint8Array[] = [];
    const r = new Router();
    registerCometRoutes(r, chain(1, 5, sent), { maxTxBytes: 8, broadcastTxCommitTimeoutMs: 100 });
    const res = (await r.call("broadcast_tx_async", { tx: "AQID" }, ctx)) as {
      code: number;
      hash: string;
    };
    expect(res.code).toBe(0);
    await new Promise((res) => setTimeout(res, 5));
    expect(sent).toEqual([new Uint8Array([1, 2, 3])]);
    expect(
      (await err(r.call("broadcast_tx_sync", { tx: "AAAAAAAAAAAAAA==" }, ctx))).message,
    ).toContain("tx: at most 8 bytes");
    const c = (await r.call("broadcast_tx_commit", { tx: "AQID" }, ctx)) as {
      check_tx: { code: number };
      height: string;
    };
    expect(c.check_tx.code).toBe(102);
    expect(c.height).toBe("0");
  });
});
