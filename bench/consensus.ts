/**
 * `npm run bench:consensus`: 4 validators in one process (the simulator's in-process
 * network with zero delay, timeoutCommit 0), a near-empty application (no txs), measuring
 * committed heights per second and consensus messages delivered per second.
 *
 * Two runs: with the insecure test signature scheme (sha256, labelled in the output) to
 * measure the protocol's own overhead, and with real ed25519 (node:crypto), where every
 * node verifies every vote, proposal, vote extension and last-commit signature itself (a
 * per-node cache skips re-verifying a signature that node already checked, as a real node
 * would). `*_s` fields are per wall-clock second; `*_cpu_s` per second of this process's
 * CPU time, which stays meaningful when other work loads the machine.
 */
import { ed25519Scheme, insecureTestScheme, type SignatureScheme } from "../consensus/crypto.js";
import { SIM_TIMEOUTS, Simulation } from "../test/sim/harness.js";
import { PERFECT_LINKS } from "../test/sim/network.js";

const HEIGHTS = Number(process.env.BENCH_HEIGHTS ?? 1000);

async function measure(scheme: SignatureScheme, heights: number) {
  const sim = new Simulation({
    validators: 4,
    seed: 1,
    targetHeight: heights,
    scheme,
    links: PERFECT_LINKS,
    timeouts: { ...SIM_TIMEOUTS, commitMs: 0 },
    txsPerBlock: 0,
    checkDoubleSigns: false,
  });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await sim.run();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  if (r.heights < heights || r.violations.length > 0) {
    throw new Error(`bench run failed: ${JSON.stringify(r)}`);
  }
  return {
    heights_s: Math.round(r.heights / wall),
    msgs_s: Math.round(r.messages / wall),
    heights_cpu_s: Math.round(r.heights / cpu),
    msgs_cpu_s: Math.round(r.messages / cpu),
  };
}

await measure(insecureTestScheme, 100); // warm-up (JIT)
const fast = await measure(insecureTestScheme, HEIGHTS);
console.error(`${HEIGHTS} heights, ${insecureTestScheme.name}: ${JSON.stringify(fast)}`);
const edHeights = Math.max(100, Math.floor(HEIGHTS / 4));
const ed = await measure(ed25519Scheme, edHeights);
console.error(`${edHeights} heights, ed25519: ${JSON.stringify(ed)}`);
console.log(
  JSON.stringify({
    validators: 4,
    heights_s: fast.heights_s,
    msgs_s: fast.msgs_s,
    signatures: insecureTestScheme.name,
    heights: HEIGHTS,
    heights_cpu_s: fast.heights_cpu_s,
    msgs_cpu_s: fast.msgs_cpu_s,
    ed25519_heights_s: ed.heights_s,
    ed25519_msgs_s: ed.msgs_s,
    ed25519_heights_cpu_s: ed.heights_cpu_s,
  }),
);
