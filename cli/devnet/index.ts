/**
 * `perpetua devnet [--validators N] [--reset] [--scenario none|crash|grind|gap]
 *  [--base-port P] [--dir .devnet] [--no-bot]`
 *
 * One command, a live market: N validator processes from a generated genesis (BTC-USD and
 * ETH-USD, the faucet, funded demo accounts), simulated oracle feeds, and a market-making
 * bot quoting both books. Data stays in .devnet/ between runs (`--reset` wipes it). Prints
 * the RPC and WebSocket endpoints and the demo keys, then one live status line (height,
 * tx/s, best bid/ask per market). Ctrl-C stops every process cleanly.
 *
 * `--scenario` replays a scripted oracle path from now: `crash` (−30 % over one minute),
 * `grind` (a slow −20 % over 30 minutes), `gap` (a sudden −15 %), so liquidations,
 * insurance and deleveraging can be watched live and explained with `query explain`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { PerpetuaClient } from "../../rpc/client/index.js";
import { type Args, bool, CliError, int, only, str, table } from "../args.js";
import { makeTestnet, type TestnetLayout } from "../testnet/index.js";
import { MarketMaker } from "./bot.js";

const ROOT = resolve(import.meta.dirname, "..", "..");
const SCENARIOS = ["none", "crash", "grind", "gap"];

async function latestHeight(client: PerpetuaClient): Promise<number> {
  return Number((await client.status()).sync_info.latest_block_height);
}

async function waitForHeight(
  client: PerpetuaClient,
  h: number,
  timeoutMs: number,
): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const height = await latestHeight(client);
      if (height >= h) return height;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new CliError(
    `the devnet did not produce block ${h} within ${timeoutMs / 1000} s (see the logs in the devnet directory)`,
  );
}

/** Points every node's simulated oracle at `scenario`, starting now. */
function setScenario(layout: TestnetLayout, scenario: string): void {
  for (const n of layout.nodes) {
    const file = join(n.home, "config", "config.json");
    const cfg = JSON.parse(readFileSync(file, "utf8"));
    for (const s of cfg.oracle?.sources ?? []) {
      if (s.kind !== "simulated") continue;
      s.scenario = scenario;
      if (scenario !== "none") s.epochMs = Date.now();
      else delete s.epochMs;
    }
    writeFileSync(file, `${JSON.stringify(cfg, null, 2)}\n`);
  }
}

export async function run(args: Args): Promise<void> {
  only(args, ["validators", "reset", "scenario", "base-port", "dir", "no-bot", "json"]);
  const validators = int(args, "validators", 4, 1, 16);
  const dir = resolve(str(args, "dir", ".devnet"));
  const scenario = str(args, "scenario", "none");
  if (!SCENARIOS.includes(scenario))
    throw new CliError(`--scenario must be one of ${SCENARIOS.join(", ")}`);
  const basePort = int(args, "base-port", 26656, 1, 65000);
  if (bool(args, "reset")) rmSync(dir, { recursive: true, force: true });

  let layout: TestnetLayout;
  const layoutFile = join(dir, "testnet.json");
  if (existsSync(layoutFile)) {
    const saved = JSON.parse(readFileSync(layoutFile, "utf8")) as Omit<TestnetLayout, "accounts">;
    if (saved.nodes.length !== validators) {
      throw new CliError(
        `${dir} holds a ${saved.nodes.length}-validator devnet; use --validators ${saved.nodes.length} or --reset`,
      );
    }
    layout = { ...saved, accounts: JSON.parse(readFileSync(join(dir, "accounts.json"), "utf8")) };
    console.log(`resuming the devnet in ${dir}`);
  } else {
    console.log(`creating a ${validators}-validator devnet in ${dir}`);
    layout = await makeTestnet({
      validators,
      output: dir,
      basePort,
      chainId: "perpetua-devnet",
      accounts: 10,
      scenario: "none",
      force: false,
    });
  }
  setScenario(layout, scenario);

  const procs: ChildProcess[] = layout.nodes.map((n, i) => {
    const log = openSync(join(dir, `node${i}.log`), "a");
    return spawn(process.execPath, [join(ROOT, "bin/perpetua.js"), "start", "--home", n.home], {
      cwd: ROOT,
      stdio: ["ignore", log, log],
    });
  });
  let exiting = false;
  for (const [i, p] of procs.entries()) {
    p.on("exit", (code) => {
      if (!exiting)
        console.error(`\nnode${i} exited (code ${code}); see ${join(dir, `node${i}.log`)}`);
    });
  }
  const shutdown = async (code: number) => {
    if (exiting) return;
    exiting = true;
    bot?.stop();
    clearInterval(statusTimer);
    process.stdout.write("\nstopping the devnet…\n");
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((r) => {
            if (p.exitCode !== null) return r();
            p.once("exit", () => r());
            p.kill("SIGTERM");
            setTimeout(() => p.kill("SIGKILL"), 10_000).unref();
          }),
      ),
    );
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));
  let bot: MarketMaker | undefined;
  let statusTimer: ReturnType<typeof setInterval> | undefined;

  const rpc0 = layout.nodes[0].rpc;
  const client = new PerpetuaClient(rpc0);
  await waitForHeight(client, 1, 60_000);

  console.log("\nendpoints");
  console.log(
    table(
      layout.nodes.map((n, i) => [
        `node${i}`,
        n.rpc,
        `${n.rpc.replace("http", "ws")}/websocket`,
        n.p2p,
      ]),
      ["node", "rpc", "websocket", "p2p"],
    ),
  );
  const demo = layout.accounts.slice(2);
  console.log("\ndemo accounts (1,000,000 USDC each; devnet keys, never use them elsewhere)");
  console.log(
    table(
      demo.map((a) => [a.address, a.seed]),
      ["address", "seed (hex)"],
    ),
  );
  console.log(`\nlogs: ${dir}/node*.log   stop: Ctrl-C\n`);

  if (!bool(args, "no-bot") && layout.accounts.length >= 2) {
    bot = new MarketMaker({
      rpc: rpc0,
      chainId: layout.chainId,
      makerSeed: layout.accounts[0].seed,
      takerSeed: layout.accounts[1].seed,
    });
    bot.start();
  }

  let lastHeight = 0;
  let lastTxs = 0;
  let lastAt = Date.now();
  const tty = process.stdout.isTTY;
  let lines = 0;
  statusTimer = setInterval(async () => {
    try {
      const height = await latestHeight(client);
      let txs = lastTxs;
      for (let h = Math.max(lastHeight + 1, height - 20); h <= height; h++) {
        txs += (await client.block(h)).block.data.txs.length;
      }
      const now = Date.now();
      const tps = ((txs - lastTxs) / ((now - lastAt) / 1000)).toFixed(1);
      let books = "";
      try {
        const list = (await client.markets()).markets;
        books = list
          .map((m) => `${m.id} ${m.bestBid ?? "-"} / ${m.bestAsk ?? "-"} (oracle ${m.oraclePrice})`)
          .join("  ");
      } catch {
        books = "(markets not available)";
      }
      lastHeight = height;
      lastTxs = txs;
      lastAt = now;
      const line = `height ${height}  tx/s ${tps}  ${books}`;
      if (tty) process.stdout.write(`\r\x1b[2K${line}`);
      else if (lines++ % 5 === 0) console.log(line);
    } catch {
      // a node restarting; the next tick will tell
    }
  }, 1000);
}
