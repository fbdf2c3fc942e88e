/**
 * `perpetua bench --node URL[,URL…] [--duration 30s] [--rate R] [--orders-per-tx K]
 *  [--accounts N] [--in-flight W] [--json]`
 *
 * Load against a running chain, measured as a client sees it:
 * 1. N fresh ed25519 accounts (default 64), each funded with one `faucet` transaction (the
 *    chain must enable the faucet, as devnets do); the bench waits for those to commit.
 * 2. Transactions of K `place_order` messages each (default 50, at most 128) are signed ahead
 *    of submission (node:crypto signer), before the window: enough for the whole duration at
 *    up to 60,000 orders/s (2,500 tx/s), or at `--rate`, within 192 MiB; a background signer
 *    tops the queues up if the chain drains them faster.
 * 3. They are sent as JSON-RPC batches of `broadcast_tx_sync` (≤ 100 per request), each
 *    account through one node, spread over every `--node` given. Open loop by default: as
 *    fast as the nodes accept, with at most W transactions (default 1024, ≤ 50 per account)
 *    accepted and not yet committed; `--rate R` caps submission at R tx/s.
 * 4. Commits are followed on the first node (`blocks` subscription over WebSocket; each
 *    block's transactions are read from the nodes in turn) and matched by hash to their
 *    submit times.
 *
 * The orders: IOC limit orders of one lot, alternating buy and sell over every market,
 * priced ten times away from the oracle (buys at a tenth of it, sells at ten times). Each
 * is parsed, risk-checked and matched by the chain, finds nothing to cross and is
 * cancelled, so the books stay as they are however long the bench runs, and the bench's
 * orders never trade with the devnet bot's quotes.
 *
 * Results over the measured window (`--duration`, from the first submission): tx_s and
 * orders_s count what committed within it; latencies are submit → the `blocks` event of
 * the commit, over every committed transaction (those committing during the drain after
 * the window included). With `--json`, one JSON line last on stdout:
 * `{"tx_s":…,"orders_s":…,"p50_ms":…,"p99_ms":…, …}`. Progress goes to stderr.
 */
import { PerpetuaClient } from "../../rpc/client/client.js";
import { type Args, CliError, table } from "../args.js";
import { withClientErrors } from "../query/common.js";
import { BenchRun } from "./load.js";
import { parseBenchOptions } from "./options.js";
import { ProgressReporter } from "./progress.js";
import type { BenchResult } from "./stats.js";

export async function run(args: Args): Promise<void> {
  const o = parseBenchOptions(args);
  const clients = o.nodes.map((url) => new PerpetuaClient({ url, timeoutMs: 15_000 }));
  const reporter = new ProgressReporter(o.ordersPerTx);
  const result = await withClientErrors(async () => {
    const statuses = await Promise.all(clients.map((c) => c.status()));
    const chains = [...new Set(statuses.map((s) => s.node_info.network))];
    if (chains.length > 1)
      throw new CliError(`the nodes serve different chains (${chains.join(", ")})`);
    const { markets } = await clients[0].markets();
    if (markets.length === 0) throw new CliError(`${clients[0].url} lists no markets`);
    const bench = new BenchRun(o, clients, chains[0], markets);
    const interrupt = () => {
      bench.stop();
      reporter.done();
      process.exit(130);
    };
    process.once("SIGINT", interrupt);
    try {
      await bench.prepare((line) => reporter.note(line));
      reporter.note(
        `${o.nodes.length} node${o.nodes.length > 1 ? "s" : ""}, ${o.accounts} accounts, ${o.ordersPerTx} orders per tx, ${o.rate === undefined ? `open loop (≤ ${o.inFlight} in flight)` : `${o.rate} tx/s`}, ${o.durationMs / 1000} s`,
      );
      const r = await bench.run(
        (p) => reporter.update(p),
        (done, total) => reporter.signing(done, total),
      );
      reporter.done();
      return r;
    } finally {
      process.off("SIGINT", interrupt);
    }
  });
  if (o.json) console.log(JSON.stringify(result));
  else console.log(humanTable(result));
  if (result.committed === 0)
    throw new CliError(
      `no transaction committed within ${result.duration_s} s (${result.rejected} rejected: ${JSON.stringify(result.rejected_by)})`,
    );
}

export function humanTable(r: BenchResult): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const rejected = Object.entries(r.rejected_by)
    .map(([k, v]) => `${k} ${n(v)}`)
    .join(", ");
  return table([
    ["committed tx/s", n(r.tx_s)],
    ["committed orders/s", n(r.orders_s)],
    ["latency p50 / p90 / p99 / max", `${r.p50_ms} / ${r.p90_ms} / ${r.p99_ms} / ${r.max_ms} ms`],
    ["window", `${r.duration_s} s, ${r.blocks} blocks, one per ${r.block_interval_ms} ms`],
    [
      "load",
      `${r.nodes} nodes, ${r.accounts} accounts, ${r.orders_per_tx} orders/tx, ${r.rate === null ? `open loop, ≤ ${r.in_flight} in flight` : `${r.rate} tx/s target`}`,
    ],
    ["submitted", n(r.submitted)],
    ["committed", `${n(r.committed)} (+${n(r.committed_late)} after the window)`],
    ["rejected", rejected ? `${n(r.rejected)} (${rejected})` : "0"],
    ["lost", n(r.lost)],
    [
      "sampled outcomes",
      `${n(r.sampled_failed_txs)} of ${n(r.sampled_txs)} txs and ${n(r.sampled_failed_orders)} of ${n(r.sampled_orders)} orders failed`,
    ],
  ]);
}
