/**
 * `perpetua testnet --validators N --output DIR [--base-port P] [--chain-id ID]
 *  [--accounts K] [--scenario NAME [--scenario-start T] [--scenario-duration T]] [--force]`
 *
 * Writes DIR/node0 … DIR/node{N-1}: homes sharing one genesis (BTC-USD and ETH-USD, the
 * faucet, K funded demo accounts), keys, the loopback ports of DESIGN.md section 5 and every
 * other node as a persistent peer, and a simulated oracle feed (shared seed, per-validator
 * noise). Demo account keys go to DIR/accounts.json (devnet only: they are plaintext).
 *
 * `--scenario` scripts the oracle path (node/feeds/scenarios.ts), timed from the genesis
 * time; `--scenario-start` and `--scenario-duration` (`30s`, `1500ms`, `2m`) move and
 * shorten it (a crash defaults to one minute in, over one minute).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { devnetGenesis } from "../../genesis/devnet.js";
import { addressOf } from "../../lib/address.js";
import { toHex } from "../../lib/bytes.js";
import { keyPairFromSeed } from "../../lib/ed25519.js";
import { sha256 } from "../../lib/hash.js";
import {
  initHome,
  peerIdFromEd25519,
  testnetNodeConfig,
  testnetPorts,
} from "../../node/config/index.js";
import { MAX_SCENARIO_MS } from "../../node/feeds/scenarios.js";
import {
  type Args,
  bool,
  CliError,
  type DurationBounds,
  duration,
  int,
  only,
  str,
  table,
} from "../args.js";

export const SCENARIO_NAMES = ["none", "crash", "grind", "gap"] as const;

/** A scenario and its timing as the oracle source config carries them. */
export interface ScenarioChoice {
  scenario: string;
  scenarioStartMs?: number;
  scenarioDurationMs?: number;
}

/**
 * `--scenario-start` and `--scenario-duration`: `30s`, `1500ms`, `2m`, `1h` (or `0` for the
 * start), at most 365 days. A unit is required: the values land in ms fields of the oracle
 * config (`scenarioStartMs`), where a bare `10` reads as 10 ms or 10 s.
 */
const SCENARIO_START: DurationBounds = { minMs: 0, maxMs: MAX_SCENARIO_MS, plainSeconds: false };
const SCENARIO_DURATION: DurationBounds = { ...SCENARIO_START, minMs: 1 };

/**
 * `--scenario NAME [--scenario-start T] [--scenario-duration T]`, validated together:
 * timing needs a scenario, and a gap (an instant jump) has no duration.
 */
export function scenarioFlags(args: Args): ScenarioChoice {
  const scenario = str(args, "scenario", "none");
  if (!(SCENARIO_NAMES as readonly string[]).includes(scenario)) {
    throw new CliError(`--scenario must be one of ${SCENARIO_NAMES.join(", ")}, got "${scenario}"`);
  }
  const start = duration(args, "scenario-start", SCENARIO_START);
  const length = duration(args, "scenario-duration", SCENARIO_DURATION);
  if (scenario === "none" && (start !== undefined || length !== undefined)) {
    const flag = start !== undefined ? "--scenario-start" : "--scenario-duration";
    throw new CliError(`${flag} needs --scenario crash|grind|gap`);
  }
  if (scenario === "gap" && length !== undefined) {
    throw new CliError("--scenario-duration: a gap has no duration (it jumps at --scenario-start)");
  }
  return {
    scenario,
    ...(start !== undefined ? { scenarioStartMs: start } : {}),
    ...(length !== undefined ? { scenarioDurationMs: length } : {}),
  };
}

export interface TestnetLayout {
  chainId: string;
  nodes: { home: string; rpc: string; p2p: string; peerId: string; validator: string }[];
  accounts: { address: string; seed: string }[];
}

function seed(label: string, chainId: string, salt: string): Uint8Array {
  return sha256(new TextEncoder().encode(`${chainId}/${salt}/${label}`));
}

export async function makeTestnet(o: {
  validators: number;
  output: string;
  basePort: number;
  chainId: string;
  accounts: number;
  scenario: string;
  scenarioStartMs?: number;
  scenarioDurationMs?: number;
  force: boolean;
  salt?: string;
}): Promise<TestnetLayout> {
  const salt = o.salt ?? `${Date.now()}`;
  const nodeSeeds = Array.from({ length: o.validators }, (_, i) =>
    seed(`node${i}`, o.chainId, salt),
  );
  const valSeeds = Array.from({ length: o.validators }, (_, i) =>
    seed(`validator${i}`, o.chainId, salt),
  );
  const peerIds = nodeSeeds.map((s) => peerIdFromEd25519(keyPairFromSeed(s).publicKey));
  const accounts = Array.from({ length: o.accounts }, (_, i) => {
    const s = seed(`account${i}`, o.chainId, salt);
    return { address: addressOf(keyPairFromSeed(s).publicKey), seed: toHex(s) };
  });
  const genesis = devnetGenesis({
    chainId: o.chainId,
    genesisTime: new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace(".000Z", "Z"),
    validators: valSeeds.map((s, i) => ({
      pubKey: keyPairFromSeed(s).publicKey,
      power: 10,
      name: `node${i}`,
    })),
    accounts: accounts.map((a) => ({ address: a.address, collateral: "1000000" })),
  });
  const oracle = {
    sources: [
      {
        kind: "simulated",
        seed: `${o.chainId}/${salt}`,
        stepMs: 500,
        noisePpm: 200,
        scenario: o.scenario,
        scenarioMarkets: [],
        ...(o.scenarioStartMs !== undefined ? { scenarioStartMs: o.scenarioStartMs } : {}),
        ...(o.scenarioDurationMs !== undefined ? { scenarioDurationMs: o.scenarioDurationMs } : {}),
        markets: {
          "BTC-USD": { startPrice: "60000", volatilityPpm: 300 },
          "ETH-USD": { startPrice: "3000", volatilityPpm: 400 },
        },
      },
    ],
  };
  const nodes: TestnetLayout["nodes"] = [];
  for (let i = 0; i < o.validators; i++) {
    const home = join(o.output, `node${i}`);
    const res = await initHome(home, {
      force: o.force,
      nodeSeed: nodeSeeds[i],
      validatorSeed: valSeeds[i],
      genesis,
      config: {
        ...testnetNodeConfig(i, peerIds, o.basePort),
        consensus: {
          timeouts: {
            propose: { baseMs: 1000, deltaMs: 500 },
            prevote: { baseMs: 500, deltaMs: 500 },
            precommit: { baseMs: 500, deltaMs: 500 },
            commit: { baseMs: 200, deltaMs: 0 },
          },
        },
        oracle,
      },
    });
    const ports = testnetPorts(i, o.basePort);
    nodes.push({
      home,
      rpc: `http://127.0.0.1:${ports.rpcPort}`,
      p2p: ports.p2pListen,
      peerId: res.nodeKey.peerId,
      validator: res.validatorKey.address,
    });
  }
  const layout = { chainId: o.chainId, nodes, accounts };
  await mkdir(o.output, { recursive: true });
  await writeFile(join(o.output, "accounts.json"), `${JSON.stringify(accounts, null, 2)}\n`, {
    mode: 0o600,
  });
  await writeFile(
    join(o.output, "testnet.json"),
    `${JSON.stringify({ chainId: o.chainId, nodes }, null, 2)}\n`,
  );
  return layout;
}

export const TESTNET_FLAGS = [
  "validators",
  "output",
  "base-port",
  "chain-id",
  "accounts",
  "scenario",
  "scenario-start",
  "scenario-duration",
  "force",
  "json",
] as const;

export async function run(args: Args): Promise<void> {
  only(args, TESTNET_FLAGS);
  const validators = int(args, "validators", 4, 1, 50);
  const output = str(args, "output");
  const scenario = scenarioFlags(args);
  const chainId = str(args, "chain-id", "perpetua-devnet");
  if (!/^[a-z0-9][a-z0-9-]{0,49}$/.test(chainId))
    throw new CliError("--chain-id: 1-50 characters of a-z, 0-9 and -");
  const layout = await makeTestnet({
    validators,
    output,
    basePort: int(args, "base-port", 26656, 1, 65000),
    chainId,
    accounts: int(args, "accounts", 8, 0, 100_000),
    ...scenario,
    force: bool(args, "force"),
  });
  if (bool(args, "json")) {
    console.log(JSON.stringify({ chainId: layout.chainId, nodes: layout.nodes }));
    return;
  }
  console.log(
    table(
      layout.nodes.map((n, i) => [`node${i}`, n.home, n.rpc, n.p2p]),
      ["node", "home", "rpc", "p2p"],
    ),
  );
  console.log(`\n${layout.accounts.length} funded accounts in ${join(output, "accounts.json")}`);
}
