/**
 * The `perpetua` command. One folder per command (cli/<name>/index.ts exporting `run`).
 * A user error prints one line (no stack) and exits 1.
 */
import "../node/p2p/polyfill.js";
import { PerpetuaError } from "../lib/errors.js";
import { ConfigError } from "../node/config/index.js";
import { CliError, parseArgs } from "./args.js";

const COMMANDS: Record<
  string,
  () => Promise<{ run: (a: ReturnType<typeof parseArgs>) => Promise<void> }>
> = {
  init: () => import("./init/index.js"),
  testnet: () => import("./testnet/index.js"),
  start: () => import("./start/index.js"),
  devnet: () => import("./devnet/index.js"),
  keys: () => import("./keys/index.js"),
  genesis: () => import("./genesis/index.js"),
  tx: () => import("./tx/index.js"),
  query: () => import("./query/index.js"),
  bench: () => import("./bench/index.js"),
};

const USAGE = `usage: perpetua <command> [flags]

commands:
  init      --home DIR [--moniker NAME] [--force]           create a node home
  testnet   --validators N --output DIR [--base-port P]     homes for a local network
  start     --home DIR                                      run a node
  devnet    [--validators N] [--reset] [--scenario NAME]    a live local chain with markets and a bot
  keys      add|list|show|import|export NAME               trading keys (encrypted keystore)
  genesis   new|add-validator|add-account|add-market|validate  edit <home>/config/genesis.json
  tx        place-order|cancel|cancel-all|transfer|faucet   sign with --from NAME, send, wait
  query     status|block|account|book|trades|markets|oracle|explain   read the chain
  bench     --node URL[,URL…] [--duration 30s] [--rate R] [--orders-per-tx K] [--json]  load test

  keys, genesis, tx: --home DIR (default ~/.perpetua); tx, query: --node URL (default
  http://127.0.0.1:26657); --json for machine output; "perpetua tx help" lists its flags

Run from the repository root: npx perpetua <command> ...`;

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  if (!cmd || cmd === "help" || cmd === "--help" || cmd === "-h") {
    console.log(USAGE);
    return;
  }
  const load = COMMANDS[cmd];
  if (!load) throw new CliError(`unknown command "${cmd}" (try: perpetua help)`);
  const mod = await load();
  await mod.run(parseArgs(rest));
}

main().catch((e: unknown) => {
  if (e instanceof CliError || e instanceof PerpetuaError || e instanceof ConfigError) {
    console.error(`error: ${e.message}`);
  } else if (e instanceof Error && /EADDRINUSE|ENOENT|EACCES/.test(e.message)) {
    console.error(`error: ${e.message}`);
  } else {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  }
  process.exit(1);
});
