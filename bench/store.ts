/**
 * Benchmark of the authenticated store (state/store/):
 *   - commit_10k_of_1m_ms: median time of `commit()` for 10,000 dirty keys (8,000 updates,
 *     2,000 inserts) into a store of 1,000,000 keys (40-byte keys, 100-byte values) over
 *     MemoryKvStore; the time covers hashing, the tree update and the KvStore batch.
 *   - lthash_ops_s: LtHash add + remove operations per second on 60-byte elements.
 *   - commit_cpu_ms: the process's CPU time during the commit (median): the figure to
 *     read when other jobs share the machine and inflate wall-clock time.
 *
 * Run: node --max-old-space-size=8192 --import tsx bench/store.ts
 * (`npm run bench:state` runs it with GLIBC_TUNABLES=glibc.malloc.hugetlb=1, as perpetua
 * launches its nodes: cli/hugePages.ts. Without it a commit takes ~15 % longer.)
 * Env: STORE_BENCH_KEYS (default 1e6), STORE_BENCH_ROUNDS (7), STORE_BENCH_GC=1 (with
 * --expose-gc: a full collection and a 1 s pause before each timed commit).
 * Prints one JSON line last.
 */
import { performance } from "node:perf_hooks";
import { sha256 } from "../lib/hash.js";
import { LtHash } from "../state/store/lthash.js";
import { MemoryKvStore } from "../state/store/memoryKv.js";
import { AuthenticatedStore } from "../state/store/store.js";

const N_KEYS = Number(process.env.STORE_BENCH_KEYS ?? 1_000_000);
const BUILD_BATCH = 100_000;
const DIRTY = 10_000;
const INSERTS = 2_000;
const ROUNDS = Number(process.env.STORE_BENCH_ROUNDS ?? 7);

const gc = process.env.STORE_BENCH_GC ? (globalThis as { gc?: () => void }).gc : undefined;

/** Key i: "acct/" + 35 bytes derived from i (state keys are structured, hashes spread them). */
function keyOf(i: number): Uint8Array {
  const k = new Uint8Array(40);
  k.set([0x61, 0x63, 0x63, 0x74, 0x2f]);
  const seed = new Uint8Array(8);
  new DataView(seed.buffer).setFloat64(0, i);
  k.set(sha256(seed).subarray(0, 32), 5);
  k[37] = i & 0xff;
  k[38] = (i >>> 8) & 0xff;
  k[39] = (i >>> 16) & 0xff;
  return k;
}

function valueFor(i: number, round: number): Uint8Array {
  const v = new Uint8Array(100);
  for (let j = 0; j < 100; j += 4) {
    v[j] = i & 0xff;
    v[j + 1] = (i >>> 8) & 0xff;
    v[j + 2] = (i >>> 16) & 0xff;
    v[j + 3] = round & 0xff;
  }
  return v;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

async function main(): Promise<void> {
  const kv = new MemoryKvStore();
  const store = await AuthenticatedStore.open(kv);

  const t0 = performance.now();
  for (let base = 0; base < N_KEYS; base += BUILD_BATCH) {
    const end = base + BUILD_BATCH < N_KEYS ? base + BUILD_BATCH : N_KEYS;
    for (let i = base; i < end; i++) store.set(keyOf(i), valueFor(i, 0));
    await store.commit();
  }
  const buildS = (performance.now() - t0) / 1000;
  console.error(
    `built ${N_KEYS} keys in ${buildS.toFixed(1)} s (${kv.size} kv entries, heap ${(
      process.memoryUsage().heapUsed / 2 ** 30
    ).toFixed(2)} GiB)`,
  );

  // Rounds of 8,000 updates of existing keys (spread over the key space) + 2,000 inserts.
  const times: number[] = [];
  const cpu: number[] = [];
  let next = N_KEYS;
  for (let r = 1; r <= ROUNDS; r++) {
    for (let j = 0; j < DIRTY - INSERTS; j++) {
      const i = (j * 7919 + r * 104729) % N_KEYS;
      store.set(keyOf(i), valueFor(i, r));
    }
    for (let j = 0; j < INSERTS; j++, next++) store.set(keyOf(next), valueFor(next, r));
    // Collect the staging garbage, then let V8's concurrent sweeper finish, so that the
    // timed commit pays for its own garbage and not for the collection before it.
    if (gc !== undefined) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const t = performance.now();
    const c = process.cpuUsage();
    await store.commit();
    times.push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
  }
  const commitMs = median(times);
  console.error(`commit of ${DIRTY} dirty keys: ${times.map((t) => t.toFixed(1)).join(", ")} ms`);
  console.error(`  process cpu time: ${cpu.map((t) => t.toFixed(1)).join(", ")} ms`);

  const h = new LtHash();
  const el = new Uint8Array(60);
  const OPS = 100_000;
  for (let i = 0; i < 5000; i++) h.add(el).remove(el); // warm-up
  const t1 = performance.now();
  for (let i = 0; i < OPS / 2; i++) {
    el[0] = i & 0xff;
    el[1] = (i >>> 8) & 0xff;
    el[2] = (i >>> 16) & 0xff;
    h.add(el);
    h.remove(el);
  }
  const lthashOps = Math.round(OPS / ((performance.now() - t1) / 1000));

  console.log(
    JSON.stringify({
      workload: "store",
      commit_10k_of_1m_ms: Number(commitMs.toFixed(1)),
      lthash_ops_s: lthashOps,
      commit_cpu_ms: Number(median(cpu).toFixed(1)),
      keys: N_KEYS,
      dirty: DIRTY,
      build_s: Number(buildS.toFixed(1)),
    }),
  );
}

await main();
