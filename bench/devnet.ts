/**
 * Devnet load (issue 6): a fresh 4-validator devnet of 4 `perpetua start` processes in a
 * temporary directory (test/helpers/testnet.ts), the devnet's market-making bot quoting both
 * books on node 0 (cli/devnet/bot.ts), then `perpetua bench` against all four nodes as its
 * own process, like any client. Prints the bench's JSON line last:
 *   {"tx_s":…,"orders_s":…,"p50_ms":…,"p99_ms":…,"orders_per_tx":50,"nodes":4,…}
 * and stops every process.
 *
 * Run: npm run bench:devnet   (BENCH_DURATION_S=30 by default; BENCH_ARGS="--rate 100"
 * passes more flags to the bench)
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { MarketMaker } from "../cli/devnet/bot.js";
import { startLiveTestnet } from "../test/helpers/testnet.js";

const ROOT = join(import.meta.dirname, "..");
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 30);
const EXTRA = (process.env.BENCH_ARGS ?? "").split(/\s+/).filter((a) => a !== "");

process.stderr.write("bench:devnet: starting 4 validators\n");
const net = await startLiveTestnet(4, { accounts: 2 });
const bot = new MarketMaker({
  rpc: net.layout.nodes[0].rpc,
  chainId: net.layout.chainId,
  makerSeed: net.layout.accounts[0].seed,
  takerSeed: net.layout.accounts[1].seed,
});
let stopping: Promise<void> | undefined;
const stop = () => {
  stopping ??= (async () => {
    bot.stop();
    await net.stopAll();
  })();
  return stopping;
};
process.on("SIGINT", () => void stop().then(() => process.exit(130)));

let code = 1;
try {
  bot.start();
  const nodes = net.layout.nodes.map((n) => n.rpc).join(",");
  const argv = ["bench", "--node", nodes, "--duration", `${DURATION_S}s`, "--json", ...EXTRA];
  process.stderr.write(`bench:devnet: perpetua ${argv.join(" ")}\n`);
  const child = spawn(process.execPath, [join(ROOT, "bin/perpetua.js"), ...argv], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  code = await new Promise<number>((resolve) => child.on("exit", (c) => resolve(c ?? 1)));
  process.stderr.write(
    `bench:devnet: the bot sent ${bot.sent} transactions (${bot.errors} errors)\n`,
  );
  const line = out.trim().split("\n").pop() ?? "";
  if (code !== 0 || !line.startsWith("{")) {
    process.stderr.write(`bench:devnet: the bench failed (exit ${code})\n${out}`);
    code ||= 1;
  } else {
    console.log(line);
  }
} finally {
  await stop();
}
process.exit(code);
