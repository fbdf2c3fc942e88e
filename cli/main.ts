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

commands (each with every flag it takes):
  init      create a node home
            --home DIR [--moniker NAME] [--force] [--json]
  testnet   homes for a local network (node i: libp2p P + 10·i, RPC P + 1 + 10·i)
            --output DIR [--validators N] [--base-port P] [--chain-id ID] [--accounts K]
            [--scenario NAME [--scenario-start T] [--scenario-duration T]] [--force] [--json]
  start     run a node
            --home DIR
  devnet    a live local chain with markets and a bot ("perpetua devnet help")
            [--validators N] [--dir DIR] [--reset] [--base-port P] [--no-bot]
            [--scenario NAME [--scenario-start T] [--scenario-duration T]] [--json]
  keys      trading keys, encrypted keystore in <home>/keys ("perpetua keys help")
            add NAME | import NAME --seed HEX [--passphrase P | --unsafe-plaintext] [--force]
            list | show NAME | export NAME [--passphrase P]
  genesis   edit <home>/config/genesis.json ("perpetua genesis help")
            new --chain-id ID [--genesis-time RFC3339] [--insurance-fund USDC]
                [--faucet-max USDC | --no-faucet] [--devnet-markets] [--force]
            add-validator [--pubkey KEY] [--power N] [--name NAME]
            add-account (--address 0x… | --key NAME) --collateral USDC
            add-market --id M --tick-size T --step-size S --oracle-price P
                [--initial-margin-ppm N] [--maintenance-margin-ppm N] [--maker-fee-ppm N]
                [--taker-fee-ppm N] [--open-interest-cap SIZE]
            validate
  tx        sign with --from NAME, send, wait for the commit ("perpetua tx help")
            place-order --market M --side buy|sell [--type limit|market] [--price P] --size S
                [--tif gtc|ioc|fok|post_only] [--reduce-only] [--client-id N]
                [--good-til-block H] [--trigger stop:P|take_profit:P]
                [--stp cancel_maker|cancel_taker|cancel_both]
            cancel --market M (--order-id N | --client-id N) | cancel-all [--market M]
            transfer --to 0x… --amount USDC | faucet --amount USDC
            all: --from NAME [--passphrase P] [--no-wait] [--timeout SECONDS]
  query     read the chain ("perpetua query help")
            status | block [--height H] | account ADDRESS|--key NAME | book MARKET [--depth N]
            trades MARKET [--limit N] | markets | oracle
            explain --kind liquidation|oracle|funding --height H [--account A | --market M]
  bench     load a running chain with orders, report what committed
            [--node URL[,URL…]] [--duration 30s] [--rate R] [--orders-per-tx K] [--accounts N]
            [--in-flight W] [--json]

  T: a duration with its unit, 1500ms, 30s, 1.5m, 1h (bench --duration: plain seconds too)
  keys, genesis, tx, query also take --home DIR (default ~/.perpetua) and --json (machine
  output, as init, testnet and bench do); tx, query and bench take --node URL (default
  http://127.0.0.1:26657, or env PERPETUA_NODE)

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
