/**
 * `perpetua devnet [--validators N] [--reset] [--scenario none|crash|grind|gap
 *  [--scenario-start T] [--scenario-duration T]] [--base-port P] [--dir .devnet] [--no-bot]`
 *
 * One command, a live market: N validator processes from a generated genesis (BTC-USD and
 * ETH-USD, the faucet, funded demo accounts), simulated oracle feeds, and a market-making
 * bot quoting both books. Data stays in .devnet/ between runs (`--reset` wipes it). Prints
 * the RPC and WebSocket endpoints and the demo keys, then one live status line (height,
 * tx/s, best bid/ask per market). Ctrl-C stops every process cleanly.
 *
 * `--scenario` replays a scripted oracle path from now: `crash` (−30 % over one minute,
 * one minute in), `grind` (a slow −20 % over 30 minutes), `gap` (a sudden −15 %, one minute
 * in), so liquidations, insurance and deleveraging can be watched live and explained with
 * `query explain`. `--scenario-start 20s --scenario-duration 10s` moves and shortens it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DEFAULT_TIMING, MAX_SCENARIO_MS } from "../../node/feeds/scenarios.js";
import { PerpetuaClient } from "../../rpc/client/index.js";
import { type Args, bool, CliError, int, only, str, table } from "../args.js";
import { withHugePages } from "../hugePages.js";
import {
  makeTestnet,
  type ScenarioChoice,
  scenarioFlags,
  type TestnetLayout,
} from "../testnet/index.js";
import { MarketMaker } from "./bot.js";

const ROOT = resolve(import.meta.dirname, "..", "..");

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

/**
 * Points every node's simulated oracle at the scenario, starting `nowMs`. The feed's epoch
 * stays the genesis time, so the random walk goes on where it was when a devnet is resumed
 * (an epoch of "now" would restart it at its start price: a jump that could liquidate on its
 * own); the scenario's start is shifted instead, by the time elapsed since genesis.
 */
function setScenario(layout: TestnetLayout, choice: ScenarioChoice, nowMs: number): void {
  let elapsedMs = 0;
  if (choice.scenario !== "none") {
    const genesis = JSON.parse(
      readFileSync(join(layout.nodes[0].home, "config", "genesis.json"), "utf8"),
    ) as { genesis_time: string };
    elapsedMs = Math.max(0, nowMs - Date.parse(genesis.genesis_time));
  }
  const defaults = DEFAULT_TIMING[choice.scenario as keyof typeof DEFAULT_TIMING];
  const startMs = elapsedMs + (choice.scenarioStartMs ?? defaults?.startMs ?? 0);
  if (startMs > MAX_SCENARIO_MS) {
    throw new CliError(
      "this devnet is too old for a scenario (its start would be over a year after genesis); use --reset",
    );
  }
  for (const n of layout.nodes) {
    const file = join(n.home, "config", "config.json");
    const cfg = JSON.parse(readFileSync(file, "utf8"));
    for (const s of cfg.oracle?.sources ?? []) {
      if (s.kind !== "simulated") continue;
      s.scenario = choice.scenario;
      delete s.epochMs; // the node then uses the genesis time
      delete s.scenarioStartMs;
      delete s.scenarioDurationMs;
      if (choice.scenario === "none") continue;
      s.scenarioStartMs = startMs;
      if (choice.scenarioDurationMs !== undefined) s.scenarioDurationMs = choice.scenarioDurationMs;
    }
    writeFileSync(file, `${JSON.stringify(cfg, null, 2)}\n`);
  }
}

export interface DevnetOptions extends ScenarioChoice {
  validators: number;
  dir: string;
  basePort: number;
  reset: boolean;
  bot: boolean;
  /** Machine output: one JSON object per line (`ready`, then `status` every 5 s). */
  json: boolean;
}

const USAGE = `usage: perpetua devnet [flags]
  --validators N           validator processes (default 4)
  --dir DIR                where the homes and logs live (default .devnet); resumed if present
  --reset                  wipe DIR first: a new chain
  --base-port P            node i: libp2p P + 10·i, RPC P + 1 + 10·i (default 26656)
  --no-bot                 no market-making bot
  --scenario NAME          scripted oracle path from now: none | crash (−30 %) | grind (−20 %)
                           | gap (−15 % at once)
  --scenario-start T       when it starts, e.g. 30s, 1500ms, 2m (crash, gap: 60s; grind: 0)
  --scenario-duration T    how long a crash or grind takes (crash 60s, grind 30m)
  --json                   one JSON object per line: {"event":"ready",…} with the endpoints and
                           demo keys, then {"event":"status",…} every 5 s`;

export const DEVNET_FLAGS = [
  "validators",
  "reset",
  "scenario",
  "scenario-start",
  "scenario-duration",
  "base-port",
  "dir",
  "no-bot",
  "json",
] as const;

/** The command line, checked before anything is touched (a bad flag wipes nothing). */
export function devnetOptions(args: Args): DevnetOptions {
  if (args.positionals.length > 0) {
    throw new CliError(`unexpected argument "${args.positionals[0]}" (perpetua devnet --help)`);
  }
  only(args, DEVNET_FLAGS);
  return {
    validators: int(args, "validators", 4, 1, 16),
    dir: resolve(str(args, "dir", ".devnet")),
    ...scenarioFlags(args),
    basePort: int(args, "base-port", 26656, 1, 65000),
    reset: bool(args, "reset"),
    bot: !bool(args, "no-bot"),
    json: bool(args, "json"),
  };
}

/**
 * The devnet's homes: wiped first with `reset`, resumed when `dir` holds one, created
 * otherwise; then every node's oracle is pointed at the scenario, starting now.
 */
export async function prepareDevnet(
  o: DevnetOptions,
  nowMs = Date.now(),
): Promise<{ layout: TestnetLayout; resumed: boolean }> {
  const { dir, validators } = o;
  if (o.reset) rmSync(dir, { recursive: true, force: true });
  let layout: TestnetLayout;
  const layoutFile = join(dir, "testnet.json");
  const resumed = existsSync(layoutFile);
  if (resumed) {
    const saved = JSON.parse(readFileSync(layoutFile, "utf8")) as Omit<TestnetLayout, "accounts">;
    if (saved.nodes.length !== validators) {
      throw new CliError(
        `${dir} holds a ${saved.nodes.length}-validator devnet; use --validators ${saved.nodes.length} or --reset`,
      );
    }
    layout = { ...saved, accounts: JSON.parse(readFileSync(join(dir, "accounts.json"), "utf8")) };
  } else {
    layout = await makeTestnet({
      validators,
      output: dir,
      basePort: o.basePort,
      chainId: "perpetua-devnet",
      accounts: 10,
      scenario: "none",
      force: false,
    });
  }
  setScenario(layout, o, nowMs);
  return { layout, resumed };
}

export async function run(args: Args): Promise<void> {
  if (args.flags.has("help") || args.positionals[0] === "help") return console.log(USAGE);
  const opts = devnetOptions(args);
  const { dir } = opts;
  const { layout, resumed } = await prepareDevnet(opts);
  // With --json, stdout carries only JSON lines; the human lines go to stderr.
  const say = opts.json ? console.error : console.log;
  say(
    resumed
      ? `resuming the devnet in ${dir}`
      : `created a ${opts.validators}-validator devnet in ${dir}`,
  );
  if (opts.scenario !== "none") say(scenarioLine(opts));

  const procs: ChildProcess[] = layout.nodes.map((n, i) => {
    const log = openSync(join(dir, `node${i}.log`), "a");
    return spawn(process.execPath, [join(ROOT, "bin/perpetua.js"), "start", "--home", n.home], {
      cwd: ROOT,
      stdio: ["ignore", log, log],
      env: withHugePages(),
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
    (opts.json ? process.stderr : process.stdout).write("\nstopping the devnet…\n");
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

  const demo = layout.accounts.slice(2);
  if (opts.json) {
    console.log(
      JSON.stringify({
        event: "ready",
        dir,
        chainId: layout.chainId,
        nodes: layout.nodes.map((n) => ({
          rpc: n.rpc,
          websocket: `${n.rpc.replace("http", "ws")}/websocket`,
          p2p: n.p2p,
        })),
        accounts: demo.map((a) => ({ address: a.address, seed: a.seed })),
      }),
    );
  } else printEndpoints(layout, demo, dir);

  if (opts.bot && layout.accounts.length >= 2) {
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
      let markets: {
        id: string;
        bestBid: string | null;
        bestAsk: string | null;
        oracle: string;
      }[] = [];
      try {
        const list = (await client.markets()).markets;
        markets = list.map((m) => ({
          id: m.id,
          bestBid: m.bestBid ?? null,
          bestAsk: m.bestAsk ?? null,
          oracle: String(m.oraclePrice),
        }));
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
      if (opts.json) {
        if (lines++ % 5 === 0) {
          console.log(JSON.stringify({ event: "status", height, tx_s: Number(tps), markets }));
        }
      } else if (tty) process.stdout.write(`\r\x1b[2K${line}`);
      else if (lines++ % 5 === 0) console.log(line);
    } catch {
      // a node restarting; the next tick will tell
    }
  }, 1000);
}

/** "scenario crash: starts in 60 s, lasts 60 s" (the defaults of node/feeds/scenarios.ts). */
function scenarioLine(o: ScenarioChoice): string {
  const d = DEFAULT_TIMING[o.scenario as keyof typeof DEFAULT_TIMING];
  const s = (ms: number) => `${ms / 1000} s`;
  const duration = "durationMs" in d ? (o.scenarioDurationMs ?? d.durationMs) : undefined;
  const lasts = duration === undefined ? "" : `, lasts ${s(duration)}`;
  return `scenario ${o.scenario}: starts in ${s(o.scenarioStartMs ?? d.startMs)}${lasts}`;
}

function printEndpoints(layout: TestnetLayout, demo: TestnetLayout["accounts"], dir: string): void {
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
  console.log("\ndemo accounts (1,000,000 USDC each; devnet keys, never use them elsewhere)");
  console.log(
    table(
      demo.map((a) => [a.address, a.seed]),
      ["address", "seed (hex)"],
    ),
  );
  console.log(`\nlogs: ${dir}/node*.log   stop: Ctrl-C\n`);
}
