/**
 * Chain benchmark (issue 5): a 4-validator testnet as 4 processes on this machine;
 * pre-signed transfer and order transactions are submitted over JSON-RPC (batched
 * broadcast_tx_sync, round-robin over the nodes) at increasing rates, and commits are
 * followed on node 0's `blocks` topic. Every account sends one transaction first (a
 * warm-up, not measured). Prints one JSON line last:
 *   {"validators":4,"tx_s":…,"p50_ms":…,"p99_ms":…,"saturation_tx_s":…,"block_interval_ms":…,"rounds_per_height":…}
 * tx_s is the committed rate of the best phase whose latencies stayed within the target's
 * bounds (p50 ≤ 500 ms, p99 ≤ 1,500 ms; the best phase overall if none did), with that
 * phase's latencies (submit→commit over all its committed transactions); saturation_tx_s is
 * the best committed rate of any phase, whatever its latency.
 *
 * Run: npm run bench:chain   (CHAIN_BENCH_RATES=500,1000 CHAIN_BENCH_PHASE_S=10 to adjust;
 * CHAIN_BENCH_BOT=1 runs the devnet's market-making bot on node 0 the whole time, on two
 * accounts of its own: the chain targets "with the bot running" of issue 6)
 */
import { performance } from "node:perf_hooks";
import { CommitFollower } from "../cli/bench/follow.js";
import { MarketMaker } from "../cli/devnet/bot.js";
import { fromHex, toBase64, toHex } from "../lib/bytes.js";
import { keyPairFromSeed, sign } from "../lib/ed25519.js";
import { sha256 } from "../lib/hash.js";
import { PerpetuaClient } from "../rpc/client/index.js";
import { buildTx, type Msg } from "../state/types/tx.js";
import { startTestnet } from "../test/helpers/testnet.js";

const RATES = (process.env.CHAIN_BENCH_RATES ?? "500,1000,1500,2000,3000").split(",").map(Number);
const PHASE_S = Number(process.env.CHAIN_BENCH_PHASE_S ?? 8);
const ACCOUNTS = 2000;
const P50_BOUND_MS = 500;
const P99_BOUND_MS = 1500;
const BATCH = 50;

const WITH_BOT = process.env.CHAIN_BENCH_BOT === "1";
// Two more accounts than the bench signs with: the bot's maker and taker.
const net = await startTestnet(4, { accounts: ACCOUNTS + 2 });
let bot: MarketMaker | undefined;
const stop = async () => {
  bot?.stop();
  await net.stopAll();
};
process.on("SIGINT", () => void stop().then(() => process.exit(1)));
try {
  for (let i = 0; i < 4; i++) await net.waitHeight(i, 2, 60_000);
  if (WITH_BOT) {
    bot = new MarketMaker({
      rpc: net.layout.nodes[0].rpc,
      chainId: net.layout.chainId,
      makerSeed: net.layout.accounts[ACCOUNTS].seed,
      takerSeed: net.layout.accounts[ACCOUNTS + 1].seed,
    });
    bot.start();
  }
  const keys = net.layout.accounts.map((a) => {
    const seed = fromHex(a.seed);
    return { seed, kp: keyPairFromSeed(seed), address: a.address };
  });
  let nonceBase = Date.now();
  const sign1 = (k: number, msgs: Msg[]) => {
    const { seed, kp } = keys[k];
    const { bytes } = buildTx(
      { chainId: net.layout.chainId, signer: kp.publicKey, nonce: ++nonceBase, msgs },
      (m) => sign(seed, m),
    );
    return bytes;
  };
  const presign = (n: number, offset: number): Uint8Array[] => {
    const out: Uint8Array[] = [];
    for (let j = 0; j < n; j++) {
      const k = (offset + j) % ACCOUNTS;
      if (j % 2 === 0) {
        out.push(
          sign1(k, [{ kind: "transfer", to: keys[(k + 1) % ACCOUNTS].address, amount: "0.01" }]),
        );
      } else {
        // An IOC far from the market: checked, matched against nothing, cancelled.
        out.push(
          sign1(k, [
            {
              kind: "place_order",
              market: "BTC-USD",
              side: "buy",
              type: "limit",
              price: "1000",
              size: "0.001",
              tif: "ioc",
              reduceOnly: false,
              clientId: j,
            },
          ]),
        );
      }
    }
    return out;
  };

  const submitted = new Map<string, number>();
  const committedAt = new Map<string, number>();
  // Commits are seen on node 0's `blocks` topic the moment it commits (no polling delay);
  // each block with transactions is then read for their hashes (cli/bench/follow.ts).
  const firstHeight = (await net.height(0)) + 1;
  const client = new PerpetuaClient(net.layout.nodes[0].rpc);
  const follower = new CommitFollower(client, (b) => {
    for (const h of b.hashes) committedAt.set(h.toLowerCase(), b.seenAt);
  });
  await follower.start();

  // Warm-up, not measured: every account sends one transaction, so each node has checked
  // its public key once (a first-seen key costs a point decompression and checks, ~1 ms)
  // and the phases measure the steady state of a chain whose traders are known.
  {
    const warm = presign(ACCOUNTS, 0);
    for (let i = 0; i < warm.length; i += BATCH) {
      const body = warm.slice(i, i + BATCH).map((tx, k) => ({
        jsonrpc: "2.0",
        id: k,
        method: "broadcast_tx_sync",
        params: { tx: toBase64(tx) },
      }));
      await fetch(net.layout.nodes[(i / BATCH) % 4].rpc, {
        method: "POST",
        body: JSON.stringify(body),
      }).then((r) => r.text());
    }
    const hashes = warm.map((tx) => toHex(sha256(tx)));
    const until = performance.now() + 60_000;
    while (hashes.some((h) => !committedAt.has(h)) && performance.now() < until) {
      await new Promise((r) => setTimeout(r, 200));
    }
    process.stderr.write(`warm-up: ${ACCOUNTS} accounts seen by every node\n`);
  }

  const phases: {
    rate: number;
    tx_s: number;
    p50: number;
    p99: number;
    sent: number;
    committed: number;
  }[] = [];
  let offset = ACCOUNTS;
  for (const rate of RATES) {
    const txs = presign(rate * PHASE_S, offset);
    offset += txs.length;
    process.stderr.write(`phase ${rate} tx/s: ${txs.length} pre-signed\n`);
    const start = performance.now();
    let i = 0;
    let node = 0;
    const inflight: Promise<unknown>[] = [];
    while (i < txs.length) {
      const due = Math.min(txs.length, Math.floor(((performance.now() - start) / 1000) * rate));
      while (i < due) {
        const batch = txs.slice(i, i + BATCH);
        i += batch.length;
        const body = batch.map((tx, k) => ({
          jsonrpc: "2.0",
          id: k,
          method: "broadcast_tx_sync",
          params: { tx: toBase64(tx) },
        }));
        const t = performance.now();
        for (const tx of batch) submitted.set(toHex(sha256(tx)), t);
        const url = net.layout.nodes[node++ % 4].rpc;
        inflight.push(
          fetch(url, { method: "POST", body: JSON.stringify(body) })
            .then((r) => r.text())
            .catch(() => undefined),
        );
        if (inflight.length > 64) await inflight.shift();
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(inflight);
    // Let the phase drain a little, then measure what committed.
    await new Promise((r) => setTimeout(r, 3000));
    const hashes = txs.map((tx) => toHex(sha256(tx)));
    const lat = hashes
      .filter((h) => committedAt.has(h))
      .map((h) => committedAt.get(h)! - submitted.get(h)!);
    lat.sort((a, b) => a - b);
    const first = Math.min(
      ...hashes.filter((h) => committedAt.has(h)).map((h) => submitted.get(h)!),
    );
    const last = Math.max(
      ...hashes.filter((h) => committedAt.has(h)).map((h) => committedAt.get(h)!),
    );
    const p = (q: number) =>
      lat.length ? lat[Math.min(lat.length - 1, Math.floor(q * lat.length))] : 0;
    const tx_s = lat.length / ((last - first) / 1000);
    phases.push({
      rate,
      tx_s: Math.round(tx_s),
      p50: Math.round(p(0.5)),
      p99: Math.round(p(0.99)),
      sent: txs.length,
      committed: lat.length,
    });
    process.stderr.write(
      `  committed ${lat.length}/${txs.length}: ${tx_s.toFixed(0)} tx/s, p50 ${p(0.5).toFixed(0)} ms, p99 ${p(0.99).toFixed(0)} ms\n`,
    );
  }
  await follower.settled();
  follower.stop();
  // Where the transactions travelled: gossip counts and compact-block fetches per node.
  for (let i = 0; i < 4; i++) {
    const text = await (await fetch(`${net.layout.nodes[i].rpc}/metrics`)).text();
    const pick = (name: string) => new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? "?";
    process.stderr.write(
      `node${i}: gossip txs received ${pick("perpetua_gossip_txs_received")}, published ${pick("perpetua_gossip_txs_published")}, compact blocks rebuilt ${pick("perpetua_compact_blocks_rebuilt")}, txs fetched for them ${pick("perpetua_compact_block_txs_fetched")}\n`,
    );
  }
  // The headline is throughput within the latency bounds of the target (issue 5: p50 ≤ 0.5 s,
  // p99 ≤ 1.5 s): the best phase that kept them, as a latency-bounded throughput should be
  // read; past it the chain still commits more, with queues growing (saturation_tx_s).
  const kept = (ph: (typeof phases)[number]) => ph.committed >= 0.95 * ph.sent;
  const bounded = (ph: (typeof phases)[number]) =>
    kept(ph) && ph.p50 <= P50_BOUND_MS && ph.p99 <= P99_BOUND_MS;
  const pick = (ok: (ph: (typeof phases)[number]) => boolean) =>
    phases.reduce<(typeof phases)[number] | undefined>(
      (a, b) => (ok(b) && (a === undefined || b.tx_s > a.tx_s) ? b : a),
      undefined,
    );
  const saturation = pick(kept) ?? phases[0];
  const best = pick(bounded) ?? saturation;
  // Block times and rounds over the whole run, read once at the end.
  const blockTimes: number[] = [];
  const rounds: number[] = [];
  const lastHeight = await net.height(0);
  for (let h = firstHeight; h <= lastHeight; h++) {
    const b = await client.block(h);
    blockTimes.push(Date.parse(b.block.header.time));
    if (b.block.last_commit) rounds.push(Number(b.block.last_commit.round));
  }
  const intervals = blockTimes.slice(1).map((t, i) => t - blockTimes[i]);
  const meanInterval = intervals.reduce((a, b) => a + b, 0) / Math.max(1, intervals.length);
  const meanRounds = rounds.reduce((a, b) => a + b + 1, 0) / Math.max(1, rounds.length);
  process.stderr.write(`${JSON.stringify(phases)}\n`);
  if (bot !== undefined) {
    process.stderr.write(`the bot sent ${bot.sent} transactions (${bot.errors} errors)\n`);
  }
  console.log(
    JSON.stringify({
      validators: 4,
      bot: bot !== undefined,
      tx_s: best.tx_s,
      p50_ms: best.p50,
      p99_ms: best.p99,
      saturation_tx_s: saturation.tx_s,
      block_interval_ms: Math.round(meanInterval),
      rounds_per_height: Number(meanRounds.toFixed(2)),
    }),
  );
} finally {
  await stop();
}
