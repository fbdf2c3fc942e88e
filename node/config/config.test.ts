import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { publicKeyFromRaw } from "@libp2p/crypto/keys";
import { peerIdFromPublicKey } from "@libp2p/peer-id";
import { afterAll, describe, expect, it } from "vitest";
import { addressOf } from "../../lib/address.js";
import { toHex } from "../../lib/bytes.js";
import {
  ConfigError,
  consensusTimeouts,
  defaultConfig,
  homePaths,
  initHome,
  loadConfig,
  loadNodeKey,
  loadValidatorKey,
  nodeKeyFromSeed,
  parseConfig,
  peerIdFromEd25519,
  readGenesisJson,
  validatorKeyFromFile,
  validatorKeyFromSeed,
  validatorKeyToFile,
} from "./index.js";

const dirs: string[] = [];
async function tempHome(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "perpetua-home-"));
  dirs.push(d);
  return join(d, "home");
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const PEER = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA";

/** A valid simulated oracle source with one market. */
const SIM_BTC = {
  kind: "simulated",
  seed: "s",
  markets: { "BTC-USD": { startPrice: "60000", volatilityPpm: 0 } },
};

/** The single issue parseConfig reports for `raw`. */
function issueOf(raw: unknown): { path: string; reason: string } {
  try {
    parseConfig(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const err = e as ConfigError;
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.issues).toHaveLength(1);
    return err.issues[0];
  }
  throw new Error("expected parseConfig to throw");
}

describe("config schema", () => {
  it("an empty object gives the defaults", () => {
    const c = parseConfig({});
    expect(c).toEqual(defaultConfig());
    expect(c.rpc.listen).toBe("127.0.0.1:26657");
    expect(c.rpc.corsOrigins).toEqual([]);
    expect(c.p2p.listen).toBe("/ip4/127.0.0.1/tcp/26656");
    expect(c.log.level).toBe("info");
  });

  it("keeps given fields and fills the rest", () => {
    const c = parseConfig({
      rpc: { listen: "0.0.0.0:1234" },
      p2p: {
        peers: [`/ip4/10.0.0.2/tcp/26656/p2p/${PEER}`, `/dns4/node1.example/tcp/1/p2p/${PEER}`],
      },
      consensus: { timeouts: { commit: { baseMs: 200 } } },
      log: { level: "debug" },
    });
    expect(c.rpc.listen).toBe("0.0.0.0:1234");
    expect(c.rpc.maxBatch).toBe(100);
    expect(c.p2p.peers).toHaveLength(2);
    expect(c.consensus.timeouts.commit).toEqual({ baseMs: 200, deltaMs: 0 });
    expect(consensusTimeouts(c)).toMatchObject({
      commitMs: 200,
      proposeMs: 3000,
      proposeDeltaMs: 500,
    });
  });

  it.each([
    [[], "", /expected an object, got an array/],
    [{ rcp: {} }, "rcp", /unknown key \(allowed: moniker, rpc/],
    [{ rpc: { listen: "127.0.0.1" } }, "rpc.listen", /expected host:port/],
    [{ rpc: { listen: "127.0.0.1:70000" } }, "rpc.listen", /invalid port "70000"/],
    [{ rpc: { listen: "300.0.0.1:1" } }, "rpc.listen", /invalid IPv4 address/],
    [{ rpc: { listen: "bad host:1" } }, "rpc.listen", /invalid host/],
    [{ rpc: { maxBodyBytes: 10 } }, "rpc.maxBodyBytes", /must be in 1024\.\./],
    [{ rpc: { maxBatch: 1.5 } }, "rpc.maxBatch", /expected an integer, got number 1.5/],
    [{ rpc: { maxConnections: "9" } }, "rpc.maxConnections", /expected an integer, got "9"/],
    [
      { rpc: { maxSubscriptionsPerClient: -1 } },
      "rpc.maxSubscriptionsPerClient",
      /must be in 0\.\./,
    ],
    [{ rpc: { corsOrigins: ["ftp://x"] } }, "rpc.corsOrigins[0]", /http\(s\) origin/],
    [{ rpc: { corsOrigins: "*" } }, "rpc.corsOrigins", /expected an array/],
    [{ p2p: { listen: "127.0.0.1:26656" } }, "p2p.listen", /invalid multiaddr/],
    [{ p2p: { listen: "/ip4/127.0.0.1/udp/1" } }, "p2p.listen", /expected \/ip4/],
    [{ p2p: { peers: ["/ip4/10.0.0.1/tcp/26656"] } }, "p2p.peers[0]", /\/p2p\/<peer id>/],
    [{ p2p: { peers: ["/ip4/10.0.0.1/tcp/26656/p2p/QmShort"] } }, "p2p.peers[0]", /invalid/],
    [
      { p2p: { peers: [`/ip4/1.2.3.4/tcp/1/p2p/${PEER}`, `/ip4/1.2.3.4/tcp/1/p2p/${PEER}`] } },
      "p2p.peers[1]",
      /duplicate/,
    ],
    [{ p2p: { peers: [7] } }, "p2p.peers[0]", /expected a string, got number 7/],
    [
      { consensus: { timeouts: { propose: { baseMs: 0 } } } },
      "consensus.timeouts.propose.baseMs",
      /must be in 1\.\./,
    ],
    [
      { consensus: { timeouts: { prevote: { delta: 1 } } } },
      "consensus.timeouts.prevote.delta",
      /unknown key/,
    ],
    [{ consensus: { timeouts: { vote: {} } } }, "consensus.timeouts.vote", /unknown key/],
    [{ mempool: { maxTxs: 0 } }, "mempool.maxTxs", /must be >= 1/],
    [{ mempool: { verifyThreads: 17 } }, "mempool.verifyThreads", /must be in 0\.\.16/],
    [
      { mempool: { maxBytes: 2048, maxTxBytes: 4096 } },
      "mempool.maxTxBytes",
      /must not exceed mempool.maxBytes/,
    ],
    [
      { oracle: { sources: [{ kind: "chainlink" }] } },
      "oracle.sources[0].kind",
      /expected "simulated" or "exchange"/,
    ],
    [
      {
        oracle: {
          sources: [
            { kind: "simulated", markets: { "BTC-USD": { startPrice: "1", volatilityPpm: 1 } } },
          ],
        },
      },
      "oracle.sources[0].seed",
      /required/,
    ],
    [
      {
        oracle: {
          sources: [
            {
              kind: "simulated",
              seed: "s",
              markets: { "BTC-USD": { startPrice: "6e4", volatilityPpm: 1 } },
            },
          ],
        },
      },
      "oracle.sources[0].markets.BTC-USD.startPrice",
      /positive decimal/,
    ],
    [
      {
        oracle: {
          sources: [
            {
              kind: "simulated",
              seed: "s",
              markets: { btc: { startPrice: "1", volatilityPpm: 1 } },
            },
          ],
        },
      },
      "oracle.sources[0].markets.btc",
      /market id like BTC-USD/,
    ],
    [
      { oracle: { sources: [{ kind: "simulated", seed: "s", markets: {} }] } },
      "oracle.sources[0].markets",
      /at least one market/,
    ],
    [
      { oracle: { sources: [{ kind: "exchange", exchanges: ["ftx"] }] } },
      "oracle.sources[0].exchanges[0]",
      /unknown exchange/,
    ],
    [
      { oracle: { sources: [{ kind: "exchange", baseUrls: { binance: "not a url" } }] } },
      "oracle.sources[0].baseUrls.binance",
      /http\(s\) URL/,
    ],
    [
      { oracle: { sources: [{ kind: "exchange", exchanges: ["kraken"], minSources: 2 }] } },
      "oracle.sources[0].minSources",
      /exceeds the 1 configured/,
    ],
    [
      { oracle: { sources: [{ kind: "exchange", pollInterval: 5 }] } },
      "oracle.sources[0].pollInterval",
      /unknown key/,
    ],
    [{ log: { level: "verbose" } }, "log.level", /expected one of trace, debug, info/],
    [
      { oracle: { sources: [{ ...SIM_BTC, scenarioStartMs: 5000 }] } },
      "oracle.sources[0].scenarioStartMs",
      /^only with a scenario \(scenario is "none"\)$/,
    ],
    [
      { oracle: { sources: [{ ...SIM_BTC, scenario: "gap", scenarioDurationMs: 5000 }] } },
      "oracle.sources[0].scenarioDurationMs",
      /^a gap has no duration \(it jumps at scenarioStartMs\)$/,
    ],
    [
      { oracle: { sources: [{ ...SIM_BTC, scenario: "crash", scenarioDurationMs: 0 }] } },
      "oracle.sources[0].scenarioDurationMs",
      /^must be in 1\.\.31536000000, got 0$/,
    ],
    [
      { oracle: { sources: [{ ...SIM_BTC, scenario: "crash", scenarioStartMs: -1 }] } },
      "oracle.sources[0].scenarioStartMs",
      /^must be in 0\.\.31536000000, got -1$/,
    ],
    [
      { oracle: { sources: [{ ...SIM_BTC, scenario: "grind", scenarioStartMs: "30s" }] } },
      "oracle.sources[0].scenarioStartMs",
      /^expected an integer, got "30s"$/,
    ],
  ])("%j -> %s", (raw, path, reason) => {
    const issue = issueOf(raw);
    expect(issue.path).toBe(path);
    expect(issue.reason).toMatch(reason);
  });

  it("reports every issue at once, each with its path", () => {
    try {
      parseConfig(
        { rpc: { listen: "x", maxBatch: 0 }, log: { level: 1 }, extra: true },
        "/h/config.json",
      );
      expect.unreachable();
    } catch (e) {
      const err = e as ConfigError;
      expect(err.issues.map((i) => i.path).sort()).toEqual([
        "extra",
        "log.level",
        "rpc.listen",
        "rpc.maxBatch",
      ]);
      expect(err.message).toMatch(/^\/h\/config.json: invalid config: /);
    }
  });

  it("accepts both oracle source kinds with their defaults", () => {
    const c = parseConfig({
      oracle: {
        sources: [
          {
            kind: "simulated",
            seed: 42,
            scenario: "crash",
            markets: { "BTC-USD": { startPrice: "60000.5", volatilityPpm: 800 } },
          },
          {
            kind: "exchange",
            exchanges: ["binance", "coinbase"],
            symbols: { "SOL-USD": { binance: "SOLUSDT" } },
          },
        ],
      },
    });
    expect(c.oracle.sources[0]).toMatchObject({
      kind: "simulated",
      seed: "42",
      stepMs: 1000,
      noisePpm: 500,
      scenario: "crash",
    });
    expect(c.oracle.sources[0]).not.toHaveProperty("scenarioStartMs");
    expect(c.oracle.sources[1]).toMatchObject({
      kind: "exchange",
      pollMs: 2000,
      staleMs: 10000,
      minSources: 1,
      markets: ["BTC-USD", "ETH-USD"],
    });
  });
});

describe("scenario timing", () => {
  it("a scenario may carry its start and duration (ms after the feed's epoch)", () => {
    const c = parseConfig({
      oracle: {
        sources: [
          { ...SIM_BTC, scenario: "crash", scenarioStartMs: 0, scenarioDurationMs: 20_000 },
          { ...SIM_BTC, scenario: "gap", scenarioStartMs: 30_000 },
        ],
      },
    });
    expect(c.oracle.sources[0]).toMatchObject({
      scenario: "crash",
      scenarioStartMs: 0,
      scenarioDurationMs: 20_000,
    });
    expect(c.oracle.sources[1]).toMatchObject({ scenario: "gap", scenarioStartMs: 30_000 });
  });
});

describe("keys", () => {
  it("computes the libp2p peer id without libp2p, identical to @libp2p/peer-id", () => {
    for (let i = 0; i < 5; i++) {
      const k = nodeKeyFromSeed(new Uint8Array(32).fill(i + 1));
      const expected = peerIdFromPublicKey(publicKeyFromRaw(k.publicKey)).toString();
      expect(peerIdFromEd25519(k.publicKey)).toBe(expected);
      expect(k.peerId).toMatch(/^12D3KooW/);
    }
  });

  it("validator key file round-trips and rejects tampering", () => {
    const k = validatorKeyFromSeed(new Uint8Array(32).fill(9));
    const file = validatorKeyToFile(k);
    expect(file.address).toBe(addressOf(k.publicKey));
    expect(file.pub_key.type).toBe("tendermint/PubKeyEd25519");
    expect(toHex(validatorKeyFromFile(file).publicKey)).toBe(toHex(k.publicKey));
    const other = validatorKeyToFile(validatorKeyFromSeed(new Uint8Array(32).fill(8)));
    expect(() => validatorKeyFromFile({ ...file, pub_key: other.pub_key })).toThrow(
      /does not match/,
    );
    expect(() => validatorKeyFromFile({ ...file, address: other.address })).toThrow(
      /address does not match/,
    );
    expect(() =>
      validatorKeyFromFile({ ...file, priv_key: { ...file.priv_key, value: "AAAA" } }),
    ).toThrow(/64 bytes/);
  });
});

describe("home directory", () => {
  it("initHome creates the tree with owner-only permissions", async () => {
    const home = await tempHome();
    const res = await initHome(home, { config: { moniker: "v0" }, genesis: { chain_id: "t" } });
    const p = homePaths(home);
    const mode = async (f: string) => (await stat(f)).mode & 0o777;
    expect(await mode(p.configDir)).toBe(0o700);
    expect(await mode(p.dataDir)).toBe(0o700);
    expect(await mode(p.nodeKey)).toBe(0o600);
    expect(await mode(p.validatorKey)).toBe(0o600);
    expect(await mode(p.config)).toBe(0o644);
    expect(await readGenesisJson(home)).toEqual({ chain_id: "t" });
    const onDisk = JSON.parse(await readFile(p.config, "utf8"));
    expect(onDisk.rpc.listen).toBe("127.0.0.1:26657"); // defaults written out in full
    expect((await loadConfig(home)).moniker).toBe("v0");
    expect((await loadNodeKey(home)).peerId).toBe(res.nodeKey.peerId);
    expect((await loadValidatorKey(home)).address).toBe(res.validatorKey.address);
  });

  it("refuses to overwrite existing keys unless forced", async () => {
    const home = await tempHome();
    const first = await initHome(home);
    await expect(initHome(home)).rejects.toMatchObject({
      code: "KEY_EXISTS",
      message: /refusing to overwrite/,
    });
    expect((await loadValidatorKey(home)).address).toBe(first.validatorKey.address);
    const forced = await initHome(home, { force: true, validatorSeed: new Uint8Array(32).fill(3) });
    expect(forced.validatorKey.address).not.toBe(first.validatorKey.address);
    expect((await loadValidatorKey(home)).address).toBe(forced.validatorKey.address);
    expect((await stat(homePaths(home).validatorKey)).mode & 0o777).toBe(0o600);
  });

  it("a bad config passed to initHome writes nothing", async () => {
    const home = await tempHome();
    await expect(initHome(home, { config: { rpc: { listen: "nope" } } })).rejects.toMatchObject({
      code: "CONFIG_INVALID",
    });
    await expect(stat(homePaths(home).nodeKey)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("deterministic seeds give deterministic keys", async () => {
    const a = await initHome(await tempHome(), {
      nodeSeed: new Uint8Array(32).fill(1),
      validatorSeed: new Uint8Array(32).fill(2),
    });
    const b = await initHome(await tempHome(), {
      nodeSeed: new Uint8Array(32).fill(1),
      validatorSeed: new Uint8Array(32).fill(2),
    });
    expect(a.nodeKey.peerId).toBe(b.nodeKey.peerId);
    expect(a.validatorKey.address).toBe(b.validatorKey.address);
  });

  it("loadConfig: missing file, bad JSON, invalid content", async () => {
    const home = await tempHome();
    await expect(loadConfig(home)).rejects.toMatchObject({
      code: "CONFIG_NOT_FOUND",
      message: /perpetua init/,
    });
    await initHome(home);
    const p = homePaths(home).config;
    await writeFile(p, "{ not json");
    await expect(loadConfig(home)).rejects.toMatchObject({ code: "CONFIG_PARSE" });
    await writeFile(p, JSON.stringify({ p2p: { peers: ["/ip4/1.2.3.4/tcp/1"] } }));
    await expect(loadConfig(home)).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      issues: [{ path: "p2p.peers[0]" }],
      message: expect.stringContaining(p),
    });
  });

  it("rejects a node key file whose peer id does not match its seed", async () => {
    const home = await tempHome();
    await initHome(home);
    const p = homePaths(home).nodeKey;
    const f = JSON.parse(await readFile(p, "utf8"));
    await writeFile(p, JSON.stringify({ ...f, peer_id: PEER }));
    await expect(loadNodeKey(home)).rejects.toMatchObject({
      code: "KEY_INVALID",
      message: /peer_id does not match/,
    });
  });
});

describe("testnet layout", () => {
  it("node i: p2p on P + 10i, RPC on P + 1 + 10i, all other nodes as peers", async () => {
    const { testnetNodeConfig, testnetPorts } = await import("./index.js");
    expect(testnetPorts(0)).toMatchObject({
      rpcListen: "127.0.0.1:26657",
      p2pListen: "/ip4/127.0.0.1/tcp/26656",
    });
    expect(testnetPorts(1).rpcPort).toBe(26667);
    expect(testnetPorts(3, 30000)).toMatchObject({ p2pPort: 30030, rpcPort: 30031 });
    const ids = [0, 1, 2, 3].map((i) => nodeKeyFromSeed(new Uint8Array(32).fill(i + 1)).peerId);
    const cfg = testnetNodeConfig(1, ids);
    expect(cfg.p2p.peers).toEqual([
      `/ip4/127.0.0.1/tcp/26656/p2p/${ids[0]}`,
      `/ip4/127.0.0.1/tcp/26676/p2p/${ids[2]}`,
      `/ip4/127.0.0.1/tcp/26686/p2p/${ids[3]}`,
    ]);
    // What testnet writes must pass validation.
    expect(parseConfig(cfg).rpc.listen).toBe("127.0.0.1:26667");
  });
});
