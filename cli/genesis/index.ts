/**
 * `perpetua genesis new|add-validator|add-account|add-market|validate` on
 * `<home>/config/genesis.json`. Edits are checked field by field here; `validate` runs the
 * node's own parser (genesis/genesis.ts `parseGenesis`, which runs the state machine's
 * app_state parser), so it rejects exactly what the chain would, with the field path.
 */
import { existsSync } from "node:fs";
import { DEVNET_MARKETS } from "../../genesis/devnet.js";
import { type GenesisDoc, parseGenesis, validatorEntry } from "../../genesis/genesis.js";
import { parseAddress } from "../../lib/address.js";
import { fromBase64, fromHex } from "../../lib/bytes.js";
import { PerpetuaError } from "../../lib/errors.js";
import {
  homePaths,
  loadValidatorKey,
  readGenesisJson,
  writeGenesisJson,
} from "../../node/config/index.js";
import { type Args, bool, CliError, int, only, str, table } from "../args.js";
import { homeOf, readKeystore } from "../keys/keystore.js";

const USAGE = `usage: perpetua genesis <new|add-validator|add-account|add-market|validate> [flags]
  genesis new --chain-id ID [--genesis-time RFC3339] [--insurance-fund USDC]
              [--faucet-max USDC | --no-faucet] [--devnet-markets] [--force]
  genesis add-validator [--pubkey BASE64|HEX] [--power N] [--name NAME]
              (default: this home's config/validator_key.json)
  genesis add-account (--address 0x... | --key NAME) --collateral USDC
  genesis add-market --id SOL-USD --tick-size 0.01 --step-size 0.1 --oracle-price 150
              [--initial-margin-ppm N] [--maintenance-margin-ppm N] [--maker-fee-ppm N]
              [--taker-fee-ppm N] [--open-interest-cap SIZE]
  genesis validate
common: --home DIR (default ~/.perpetua), --json`;

export async function run(args: Args): Promise<void> {
  const [sub, ...extra] = args.positionals;
  if (sub === undefined || sub === "help" || args.flags.has("help")) {
    if (sub === undefined && !args.flags.has("help"))
      throw new CliError(
        "missing subcommand: perpetua genesis new|add-validator|add-account|add-market|validate (perpetua genesis help)",
      );
    console.log(USAGE);
    return;
  }
  if (extra.length > 0) throw new CliError(`unexpected argument "${extra[0]}"`);
  switch (sub) {
    case "new":
      return create(args);
    case "add-validator":
      return addValidator(args);
    case "add-account":
      return addAccount(args);
    case "add-market":
      return addMarket(args);
    case "validate":
      return validate(args);
    default:
      throw new CliError(
        `unknown subcommand "genesis ${sub}" (new, add-validator, add-account, add-market, validate)`,
      );
  }
}

async function load(home: string): Promise<GenesisDoc> {
  const path = homePaths(home).genesis;
  if (!existsSync(path))
    throw new CliError(`no genesis at ${path} (create one: perpetua genesis new)`);
  const doc = (await readGenesisJson(home)) as GenesisDoc;
  if (!doc || typeof doc !== "object" || !doc.app_state || !Array.isArray(doc.validators))
    throw new CliError(`${path}: not a genesis document`);
  return doc;
}

async function save(args: Args, doc: GenesisDoc, what: Record<string, string>): Promise<void> {
  const home = homeOf(args);
  await writeGenesisJson(home, doc, { force: true });
  const out = { genesis: homePaths(home).genesis, ...what };
  if (bool(args, "json")) console.log(JSON.stringify(out));
  else console.log(table(Object.entries(out)));
}

function decimal(args: Args, name: string, fallback?: string): string {
  const v = str(args, name, fallback);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(v))
    throw new CliError(`--${name}: expected a decimal like 1000 or 0.01, got "${v}"`);
  return v;
}

/** The flags of each `genesis` subcommand (help and its test read them from here). */
export const GENESIS_FLAGS = {
  new: [
    "home",
    "json",
    "chain-id",
    "genesis-time",
    "insurance-fund",
    "faucet-max",
    "no-faucet",
    "devnet-markets",
    "force",
  ],
  "add-validator": ["home", "json", "pubkey", "power", "name"],
  "add-account": ["home", "json", "address", "key", "collateral"],
  "add-market": [
    "home",
    "json",
    "id",
    "tick-size",
    "step-size",
    "oracle-price",
    "initial-margin-ppm",
    "maintenance-margin-ppm",
    "maker-fee-ppm",
    "taker-fee-ppm",
    "open-interest-cap",
  ],
  validate: ["home", "json"],
} as const;

async function create(args: Args): Promise<void> {
  only(args, GENESIS_FLAGS.new);
  const chainId = str(args, "chain-id");
  if (!/^[a-z0-9][a-z0-9-]{0,49}$/.test(chainId))
    throw new CliError("--chain-id: 1-50 characters of a-z, 0-9 and -, not starting with -");
  const time = str(
    args,
    "genesis-time",
    new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace(".000Z", "Z"),
  );
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(time))
    throw new CliError("--genesis-time: RFC 3339 UTC like 2026-11-28T00:00:00Z");
  const noFaucet = bool(args, "no-faucet");
  if (noFaucet && args.flags.has("faucet-max"))
    throw new CliError("--faucet-max and --no-faucet exclude each other");
  const doc: GenesisDoc = {
    genesis_time: time,
    chain_id: chainId,
    initial_height: "1",
    consensus_params: {
      block: { max_bytes: String(8 << 20), max_txs: "20000" },
      feature: { vote_extensions_enable_height: "1" },
    },
    validators: [],
    app_hash: "",
    app_state: {
      accounts: [],
      markets: bool(args, "devnet-markets") ? structuredClone(DEVNET_MARKETS) : [],
      insuranceFund: decimal(args, "insurance-fund", "1000000"),
      faucet: {
        enabled: !noFaucet,
        maxAmount: noFaucet ? "0" : decimal(args, "faucet-max", "100000"),
      },
    },
  };
  const home = homeOf(args);
  if (existsSync(homePaths(home).genesis) && !bool(args, "force"))
    throw new CliError(`${homePaths(home).genesis} exists (--force to overwrite)`);
  await writeGenesisJson(home, doc, { force: true });
  const out = {
    genesis: homePaths(home).genesis,
    chainId,
    genesisTime: time,
    markets: doc.app_state.markets.map((m) => m.id).join(",") || "none",
    next: "genesis add-validator, add-account, add-market, then genesis validate",
  };
  if (bool(args, "json")) console.log(JSON.stringify(out));
  else console.log(table(Object.entries(out)));
}

async function addValidator(args: Args): Promise<void> {
  only(args, GENESIS_FLAGS["add-validator"]);
  const home = homeOf(args);
  const doc = await load(home);
  let pubKey: Uint8Array;
  if (args.flags.has("pubkey")) {
    const v = str(args, "pubkey");
    pubKey = /^[0-9a-fA-F]{64}$/.test(v) ? fromHex(v.toLowerCase()) : safeBase64(v);
    if (pubKey.length !== 32)
      throw new CliError("--pubkey: expected a 32-byte ed25519 key (base64 or hex)");
  } else {
    pubKey = (await loadValidatorKey(home)).publicKey;
  }
  const power = int(args, "power", 10, 1, 1_000_000_000);
  const name = str(args, "name", `validator${doc.validators.length}`);
  if (name.length > 64) throw new CliError("--name: at most 64 characters");
  const entry = validatorEntry(pubKey, power, name);
  if (doc.validators.some((v) => v.address.toUpperCase() === entry.address))
    throw new CliError(`validator ${entry.address} is already in the genesis`);
  doc.validators.push(entry);
  await save(args, doc, {
    validator: entry.address,
    name,
    power: String(power),
    validators: String(doc.validators.length),
  });
}

function safeBase64(v: string): Uint8Array {
  try {
    return fromBase64(v);
  } catch {
    throw new CliError("--pubkey: expected base64 or 64 hex digits");
  }
}

async function addAccount(args: Args): Promise<void> {
  only(args, GENESIS_FLAGS["add-account"]);
  const home = homeOf(args);
  const doc = await load(home);
  let address: string;
  if (args.flags.has("key") === args.flags.has("address"))
    throw new CliError("exactly one of --address and --key");
  if (args.flags.has("key")) address = (await readKeystore(home, str(args, "key"))).address;
  else {
    try {
      address = parseAddress(str(args, "address"), "--address");
    } catch (e) {
      throw new CliError((e as Error).message);
    }
  }
  const collateral = decimal(args, "collateral");
  if (doc.app_state.accounts.some((a) => a.address === address))
    throw new CliError(`account ${address} is already in the genesis`);
  doc.app_state.accounts.push({ address, collateral });
  await save(args, doc, {
    account: address,
    collateral,
    accounts: String(doc.app_state.accounts.length),
  });
}

async function addMarket(args: Args): Promise<void> {
  only(args, GENESIS_FLAGS["add-market"]);
  const home = homeOf(args);
  const doc = await load(home);
  const id = str(args, "id");
  if (!/^[A-Z0-9]{1,20}-[A-Z0-9]{1,10}$/.test(id))
    throw new CliError("--id: a market id like SOL-USD");
  if (doc.app_state.markets.some((m) => m.id === id))
    throw new CliError(`market ${id} is already in the genesis`);
  // dYdX-like defaults of the devnet's BTC-USD; the risk fields can be overridden here and
  // every field edited in the file, then checked by `genesis validate`.
  const template = DEVNET_MARKETS[0];
  const ppm = (name: string, field: string, min = 0, max = 1_000_000) =>
    int(args, name, Number(template[field]), min, max);
  const market = {
    ...structuredClone(template),
    id,
    tickSize: decimal(args, "tick-size"),
    stepSize: decimal(args, "step-size"),
    initialOraclePrice: decimal(args, "oracle-price"),
    initialMarginPpm: ppm("initial-margin-ppm", "initialMarginPpm", 1),
    maintenanceMarginPpm: ppm("maintenance-margin-ppm", "maintenanceMarginPpm", 1),
    makerFeePpm: int(args, "maker-fee-ppm", Number(template.makerFeePpm), -1_000_000, 1_000_000),
    takerFeePpm: ppm("taker-fee-ppm", "takerFeePpm"),
    openInterestCap: decimal(args, "open-interest-cap", String(template.openInterestCap)),
  };
  doc.app_state.markets.push(market);
  await save(args, doc, { market: id, markets: doc.app_state.markets.map((m) => m.id).join(",") });
}

async function validate(args: Args): Promise<void> {
  only(args, GENESIS_FLAGS.validate);
  const home = homeOf(args);
  const path = homePaths(home).genesis;
  if (!existsSync(path)) throw new CliError(`no genesis at ${path}`);
  let raw: unknown;
  try {
    raw = await readGenesisJson(home);
  } catch (e) {
    throw new CliError(`${path}: ${(e as Error).message}`);
  }
  let parsed: ReturnType<typeof parseGenesis>;
  try {
    parsed = parseGenesis(raw);
  } catch (e) {
    if (e instanceof PerpetuaError) throw new CliError(`${path}: ${e.message}`);
    throw e;
  }
  const d = parsed.doc;
  const out = {
    valid: "yes",
    chainId: d.chain_id,
    genesisTime: d.genesis_time,
    validators: String(d.validators.length),
    totalPower: String(d.validators.reduce((s, v) => s + Number(v.power), 0)),
    markets: d.app_state.markets.map((m) => m.id).join(",") || "none",
    accounts: String(d.app_state.accounts.length),
    faucet: d.app_state.faucet.enabled ? `on (max ${d.app_state.faucet.maxAmount})` : "off",
    hash: Buffer.from(parsed.hash).toString("hex").toUpperCase(),
  };
  if (bool(args, "json")) console.log(JSON.stringify(out));
  else console.log(table(Object.entries(out)));
}
