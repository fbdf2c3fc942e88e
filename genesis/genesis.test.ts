import { describe, expect, it } from "vitest";
import { addressOf } from "../lib/address.js";
import { keyPairFromSeed } from "../lib/ed25519.js";
import { ErrorCode, PerpetuaError } from "../lib/errors.js";
import { PerpetuaApp } from "../state/app.js";
import { MemoryKvStore } from "../state/store/memoryKv.js";
import { devnetGenesis } from "./devnet.js";
import { parseGenesis } from "./genesis.js";

const V = [1, 2, 3, 4].map((i) => keyPairFromSeed(new Uint8Array(32).fill(i)));
const TRADER = keyPairFromSeed(new Uint8Array(32).fill(9));

function doc() {
  return devnetGenesis({
    chainId: "perpetua-devnet",
    genesisTime: "2026-11-28T00:00:00Z",
    validators: V.map((k, i) => ({ pubKey: k.publicKey, power: 10, name: `node${i}` })),
    accounts: [{ address: addressOf(TRADER.publicKey), collateral: "100000" }],
  });
}

function errorOf(json: unknown): string {
  try {
    parseGenesis(json);
  } catch (e) {
    if (e instanceof PerpetuaError) {
      expect(e.code).toBe(ErrorCode.INVALID_FIELD);
      return e.message;
    }
    throw e;
  }
  return "";
}

describe("genesis", () => {
  it("a devnet genesis parses and initializes the chain", async () => {
    const g = parseGenesis(JSON.parse(JSON.stringify(doc())));
    expect(g.initChain.validators).toHaveLength(4);
    expect(g.initChain.genesisTimeMs).toBe(Date.UTC(2026, 10, 28));
    const app = await PerpetuaApp.open(new MemoryKvStore());
    const res = await app.initChain(g.initChain);
    expect(res.appHash).toHaveLength(32);
    expect(app.exchange().marketIds).toEqual(["BTC-USD", "ETH-USD"]);
  });

  it("the same document always hashes the same, another differently", () => {
    expect(parseGenesis(doc()).hash).toEqual(parseGenesis(doc()).hash);
    const other = doc();
    other.chain_id = "perpetua-other";
    expect(parseGenesis(other).hash).not.toEqual(parseGenesis(doc()).hash);
  });

  it.each([
    [
      "chain_id",
      (d: Record<string, unknown>) => {
        d.chain_id = "Bad Id";
      },
      "genesis.chain_id",
    ],
    [
      "genesis_time",
      (d: Record<string, unknown>) => {
        d.genesis_time = "yesterday";
      },
      "genesis.genesis_time",
    ],
    [
      "unknown field",
      (d: Record<string, unknown>) => {
        d.extra = 1;
      },
      "genesis.extra: unknown field",
    ],
    [
      "validator address",
      (d: { validators: { address: string }[] }) => {
        d.validators[1].address = "00";
      },
      "genesis.validators[1].address",
    ],
    [
      "pub key type",
      (d: { validators: { pub_key: { type: string } }[] }) => {
        d.validators[0].pub_key.type = "secp256k1";
      },
      "genesis.validators[0].pub_key.type",
    ],
    [
      "power",
      (d: { validators: { power: string }[] }) => {
        d.validators[2].power = "-1";
      },
      "genesis.validators[2].power",
    ],
    [
      "max bytes",
      (d: { consensus_params: { block: { max_bytes: string } } }) => {
        d.consensus_params.block.max_bytes = "1";
      },
      "genesis.consensus_params.block.max_bytes",
    ],
    [
      "market tick",
      (d: { app_state: { markets: { tickSize: string }[] } }) => {
        d.app_state.markets[1].tickSize = "0";
      },
      "genesis.app_state.markets[1].tickSize",
    ],
    [
      "account address",
      (d: { app_state: { accounts: { address: string }[] } }) => {
        d.app_state.accounts[0].address = "0xZZ";
      },
      "genesis.app_state.accounts[0].address",
    ],
    [
      "collateral",
      (d: { app_state: { accounts: { collateral: string }[] } }) => {
        d.app_state.accounts[0].collateral = "1e6";
      },
      "genesis.app_state.accounts[0].collateral",
    ],
    [
      "missing faucet",
      (d: { app_state: Record<string, unknown> }) => {
        delete d.app_state.faucet;
      },
      "genesis.app_state.faucet: missing",
    ],
  ] as [string, (d: never) => void, string][])(
    "names the field path: %s",
    (_, mutate, expected) => {
      const d = JSON.parse(JSON.stringify(doc()));
      mutate(d as never);
      expect(errorOf(d)).toContain(expected);
    },
  );
});
