/**
 * Benchmark of the state machine (issue 3), printing one JSON line last:
 *   {"workload":"state","finalize_msgs_s":...,"commit_10k_of_1m_ms":...}
 *
 * finalize_msgs_s: place_order messages per second through finalizeBlock, for blocks of
 * 5,000 order messages (50 transactions of 100) on 2 markets (BTC-USD, ETH-USD) from
 * 10,000 funded accounts, about 30 % of orders crossing the spread. Signatures are verified
 * beforehand by checkTx (as a node does when transactions reach its mempool), so the
 * figure is execution: decoding from cache, nonces, risk checks, matching, fills, funding,
 * liquidation scan, invariants and the app hash.
 *
 * commit_10k_of_1m_ms: from bench/store.ts (a 1,000,000-key authenticated store, 10,000
 * dirty keys), run as a child process with a larger heap.
 *
 * Run: npm run bench:state
 * Env: STATE_BENCH_BLOCKS (20), STATE_BENCH_SKIP_STORE=1 (finalize only),
 * STATE_BENCH_PROFILE=FILE (a CPU profile of the timed finalizeBlock calls only).
 */

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { type Profiler, Session } from "node:inspector/promises";
import { performance } from "node:perf_hooks";
import { withHugePages } from "../cli/hugePages.js";
import {
  GENESIS_TIME_MS,
  genesis,
  nextBlock,
  setPrices,
  startChain,
  Trader,
} from "../state/testkit.js";
import type { Msg } from "../state/types/tx.js";
import { Prng } from "../test/sim/prng.js";

const ACCOUNTS = 10_000;
const TXS_PER_BLOCK = 50;
const MSGS_PER_TX = 100;
const WARMUP_BLOCKS = 3;
const BLOCKS = Number(process.env.STATE_BENCH_BLOCKS ?? 20);

function rng(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.float();
}

async function finalizeBench() {
  const t0 = performance.now();
  const traders = Array.from({ length: ACCOUNTS }, (_, i) => new Trader(`bench-${i}`));
  const chain = await startChain(
    genesis({ accounts: traders.map((t) => ({ address: t.address, collateral: "1000000" })) }),
  );
  setPrices(chain, { "BTC-USD": "50000", "ETH-USD": "3000" });
  process.stderr.write(
    `genesis with ${ACCOUNTS} accounts in ${(performance.now() - t0).toFixed(0)} ms\n`,
  );
  const r = rng(42);
  let clientId = 0;
  const makeBlock = (): Uint8Array[] => {
    const txs: Uint8Array[] = [];
    for (let k = 0; k < TXS_PER_BLOCK; k++) {
      const t = traders[Math.floor(r() * ACCOUNTS)];
      const msgs: Msg[] = [];
      for (let j = 0; j < MSGS_PER_TX; j++) {
        const btc = r() < 0.5;
        const side = r() < 0.5 ? "buy" : "sell";
        const crossing = r() < 0.3;
        const away = 1 + Math.floor(r() * 50);
        const dir = side === "buy" ? -1 : 1;
        const off = crossing ? -dir * Math.floor(r() * 20) : dir * away;
        const price = btc ? String(50_000 + off) : (3_000 + off / 10).toFixed(1);
        const size = btc
          ? (0.001 * (1 + Math.floor(r() * 10))).toFixed(3)
          : (0.01 * (1 + Math.floor(r() * 10))).toFixed(2);
        msgs.push({
          kind: "place_order",
          market: btc ? "BTC-USD" : "ETH-USD",
          side,
          type: "limit",
          price,
          size,
          tif: crossing ? "ioc" : "gtc",
          reduceOnly: false,
          clientId: clientId++ & 0xffffffff,
        });
      }
      txs.push(t.tx(msgs));
    }
    return txs;
  };
  let msgs = 0;
  let finalizeMs = 0;
  let commitMs = 0;
  let finalizeCpuMs = 0;
  let fills = 0;
  // A digest of every result (codes, logs, data, events) and the app hashes: equal inputs
  // must give equal digests before and after any optimization.
  const results = createHash("sha256");
  const profileFile = process.env.STATE_BENCH_PROFILE;
  const profiler = profileFile ? new Session() : undefined;
  if (profiler !== undefined) {
    profiler.connect();
    await profiler.post("Profiler.enable");
    await profiler.post("Profiler.setSamplingInterval", { interval: 100 });
  }
  for (let b = 0; b < WARMUP_BLOCKS + BLOCKS; b++) {
    const txs = makeBlock();
    for (const tx of txs) {
      const c = chain.app.checkTx(tx, "new");
      if (!c.ok) throw new Error(`checkTx: ${c.log}`);
    }
    const req = nextBlock(chain, txs);
    const timed = b >= WARMUP_BLOCKS;
    if (timed && profiler !== undefined) await profiler.post("Profiler.start");
    const s = performance.now();
    const cpu0 = process.cpuUsage();
    const res = await chain.app.finalizeBlock(req);
    const cpu = process.cpuUsage(cpu0);
    const e = performance.now();
    if (timed && profiler !== undefined) {
      const { profile } = await profiler.post("Profiler.stop");
      profiles.push(profile);
    }
    await chain.app.commit();
    const c = performance.now();
    chain.height = req.height;
    results.update(res.appHash);
    for (const tr of res.txResults) {
      results.update(`${tr.code}|${tr.log}|`).update(tr.data);
      for (const ev of tr.events) {
        results.update(ev.type);
        for (const a of ev.attributes) results.update(`|${a.key}=${a.value}`);
      }
    }
    for (const ev of res.events) {
      results.update(ev.type);
      for (const a of ev.attributes) results.update(`|${a.key}=${a.value}`);
    }
    for (const tr of res.txResults) if (tr.code !== 0) throw new Error(`tx failed: ${tr.log}`);
    if (timed) {
      msgs += TXS_PER_BLOCK * MSGS_PER_TX;
      finalizeMs += e - s;
      finalizeCpuMs += (cpu.user + cpu.system) / 1000;
      commitMs += c - e;
      for (const tr of res.txResults) fills += tr.events.filter((ev) => ev.type === "fill").length;
    }
  }
  if (profileFile !== undefined)
    writeFileSync(profileFile, JSON.stringify(mergeProfiles(profiles)));
  const ex = chain.app.exchange();
  const resting = ex.marketIds.reduce((n, id) => n + ex.markets.get(id)!.book.size(), 0);
  process.stderr.write(
    `${BLOCKS} blocks of ${TXS_PER_BLOCK * MSGS_PER_TX} orders: finalize ${(finalizeMs / BLOCKS).toFixed(1)} ms/block (process CPU ${(finalizeCpuMs / BLOCKS).toFixed(1)} ms/block), commit ${(commitMs / BLOCKS).toFixed(1)} ms/block, ${fills} fills, ${resting} resting orders at the end (time ${GENESIS_TIME_MS}), results digest ${results.digest("hex").slice(0, 16)}\n`,
  );
  return {
    finalize_msgs_s: Math.round(msgs / (finalizeMs / 1000)),
    commit_block_ms: +(commitMs / BLOCKS).toFixed(1),
  };
}

const profiles: Profiler.Profile[] = [];

/** One profile out of several (node ids renumbered), for tools that read one file. */
function mergeProfiles(ps: Profiler.Profile[]): Profiler.Profile {
  const out = { nodes: [], samples: [], timeDeltas: [], startTime: 0, endTime: 0 } as {
    nodes: Profiler.ProfileNode[];
    samples: number[];
    timeDeltas: number[];
    startTime: number;
    endTime: number;
  };
  let base = 0;
  for (const p of ps) {
    let max = 0;
    for (const n of p.nodes) {
      max = Math.max(max, n.id);
      out.nodes.push({ ...n, id: n.id + base, children: n.children?.map((c) => c + base) });
    }
    for (const s of p.samples ?? []) out.samples.push(s + base);
    out.timeDeltas.push(...(p.timeDeltas ?? []));
    out.endTime += p.endTime - p.startTime;
    base += max;
  }
  return out;
}

function storeBench(): number | undefined {
  if (process.env.STATE_BENCH_SKIP_STORE) return undefined;
  const out = execFileSync(
    process.execPath,
    ["--max-old-space-size=8192", "--expose-gc", "--import", "tsx", "bench/store.ts"],
    // The store's pools are read at random: huge pages, as perpetua launches its nodes.
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], env: withHugePages() },
  );
  const last = out.trim().split("\n").at(-1)!;
  return (JSON.parse(last) as { commit_10k_of_1m_ms: number }).commit_10k_of_1m_ms;
}

const f = await finalizeBench();
const commit = storeBench();
console.log(
  JSON.stringify({
    workload: "state",
    finalize_msgs_s: f.finalize_msgs_s,
    commit_10k_of_1m_ms: commit ?? null,
  }),
);
