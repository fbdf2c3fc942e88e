/**
 * The liquidation drill (issue 6) against a real 4-process testnet whose simulated oracle
 * runs a fast `crash` (−30 % over 20 s, 40 s after genesis):
 *
 *  - a fresh account takes 0.3 BTC long on 1000 USDC (18× leverage, near the 20× maximum)
 *    against a demo account's ask at the oracle price; the same account rests a bid 2 %
 *    below, the liquidity the liquidation will close into;
 *  - the crash takes the oracle below the account's liquidation price: the chain closes the
 *    position into that bid, and the liquidation shows on the `account:` subscription, in
 *    `block_results`, in `trades` (flagged) and in `explain` with every input (oracle
 *    price, equity and margins, fillable, bankruptcy and limit prices), each checked against
 *    the fill it explains;
 *  - the insurance fund grew by exactly the recorded fee; every node has the same block
 *    and app hash at every height and the same block results, and none halted (a broken
 *    invariant halts a node);
 *  - the same liquidation through the CLI (`query explain`, human and `--json`).
 *
 * Also, without processes: the `--scenario*` flags of `perpetua devnet` / `testnet` and
 * what `devnet --reset` does to the devnet directory.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Args, CliError, parseArgs } from "../cli/args.js";
import { devnetOptions, prepareDevnet } from "../cli/devnet/index.js";
import { type ExplainResult, explainText } from "../cli/query/index.js";
import { scenarioFlags } from "../cli/testnet/index.js";
import { formatUsdc, parseUsdc } from "../lib/fixed.js";
import {
  type AccountUpdate,
  generateSeed,
  nobleSigner,
  PerpetuaClient,
  placeOrder,
  SubscriptionClient,
  seedFromHex,
  type TopicEvent,
  Wallet,
} from "../rpc/client/index.js";
import { type RunningTestnet, startLiveTestnet } from "./helpers/testnet.js";

const ROOT = join(import.meta.dirname, "..");
const execFileP = promisify(execFile);

/** The crash: 40 s after genesis (time to start 4 nodes and trade first), −30 % over 20 s. */
const CRASH_START_MS = 40_000;
const CRASH_DURATION_MS = 20_000;
/** 1000 USDC of collateral, 0.3 BTC long: IMR 5 % = 900 USDC at 60000, 18× leverage. */
const ALICE_COLLATERAL = "1000";
const ALICE_SIZE = "0.3";
const ALICE_LOTS = 3000n; // BTC-USD step 0.0001
/** BTC-USD: tick 1 USD, step 0.0001 BTC, so one tick-lot is 100 quantums (10^-6 USDC). */
const QUANTUMS_PER_TICK_LOT = 100n;
const MMF_PPM = 30_000n;
const MAX_LIQUIDATION_FEE_PPM = 5_000n;

/** One step of a liquidation record (state/liquidation/liquidate.ts LiquidationStep). */
interface LiquidationStep {
  market: string;
  oraclePriceTicks: string;
  positionLots: string;
  closeLots: string;
  fillablePriceTicks: string;
  bankruptcyPriceTicks: string;
  limitPriceTicks: string;
  filledLots: string;
  feeToInsuranceQuantums: string;
  insurancePaidQuantums: string;
  deleveraged: unknown[];
  skipped?: string;
}
interface LiquidationRecord {
  account: string;
  height: number;
  equityBefore: string;
  maintenanceBefore: string;
  initialBefore: string;
  cancelledOrders: number;
  steps: LiquidationStep[];
  equityAfter: string;
  maintenanceAfter: string;
}
interface Explained<T> {
  kind: string;
  height: number;
  time: string;
  records: { kind: string; key: string; data: T }[];
}

let net: RunningTestnet;
let subs: SubscriptionClient | undefined;
let genesisMs: number;
/** What the first test saw, for the CLI test. */
let drill: { height: number; address: string; equity: string } | undefined;

beforeAll(async () => {
  net = await startLiveTestnet(4, {
    scenario: "crash",
    scenarioStartMs: CRASH_START_MS,
    scenarioDurationMs: CRASH_DURATION_MS,
  });
  const genesis = JSON.parse(
    readFileSync(join(net.layout.nodes[0].home, "config", "genesis.json"), "utf8"),
  ) as { genesis_time: string };
  genesisMs = Date.parse(genesis.genesis_time);
}, 100_000);

afterAll(async () => {
  subs?.close();
  await net?.stopAll();
});

async function until<T>(what: string, f: () => T | undefined, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b; // a, b > 0
}

/** Headers of heights 1..h as one node serves them (`blockchain`, 20 per call). */
async function headers(c: PerpetuaClient, h: number): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (let lo = 1; lo <= h; lo += 20) {
    const hi = Math.min(h, lo + 19);
    for (const m of (await c.blockchain(lo, hi)).block_metas) {
      out.set(Number(m.header.height), `${m.block_id.hash} ${m.header.app_hash}`);
    }
  }
  return out;
}

describe("liquidation drill on a live 4-validator testnet (crash scenario)", () => {
  it("a crash liquidates an 18× long into resting liquidity; explain, insurance and every node agree", async () => {
    const clients = net.layout.nodes.map((n) => new PerpetuaClient(n.rpc));
    const client = clients[0];
    const alice = new Wallet(client, nobleSigner(generateSeed()));
    const maker = new Wallet(clients[1], nobleSigner(seedFromHex(net.layout.accounts[2].seed)));

    subs = new SubscriptionClient(clients[2].wsUrl, { reconnectMinMs: 50 });
    const events: TopicEvent<AccountUpdate>[] = [];
    await subs.subscribe<AccountUpdate>(`account:${alice.address}`, (e) => events.push(e));

    expect((await alice.faucet(ALICE_COLLATERAL)).results).toMatchObject([{ code: 0 }]);
    const fundBefore = parseUsdc((await client.insuranceFund()).balance);

    // Trade at the oracle price of the moment (the walk has moved since genesis).
    const btc = (await client.markets()).markets.find((m) => m.id === "BTC-USD")!;
    const entry = BigInt(Math.round(Number(btc.oraclePrice))); // test-only rounding
    const bid = (entry * 98n) / 100n;
    const quotes = await maker.send([
      placeOrder({ market: "BTC-USD", side: "sell", price: `${entry}`, size: ALICE_SIZE }),
      placeOrder({
        market: "BTC-USD",
        side: "buy",
        price: `${bid}`,
        size: ALICE_SIZE,
        clientId: 1,
      }),
    ]);
    expect(quotes.results.map((r) => r.status)).toEqual(["resting", "resting"]);
    const open = await alice.placeOrder({
      market: "BTC-USD",
      side: "buy",
      price: `${entry}`,
      size: ALICE_SIZE,
      tif: "ioc",
    });
    expect(open.results[0]).toMatchObject({ code: 0, status: "filled", filled: ALICE_SIZE });
    const elapsed = Date.now() - genesisMs;
    expect(elapsed, "the position must be open before the crash starts").toBeLessThan(
      CRASH_START_MS,
    );

    const opened = await client.account(alice.address);
    expect(opened.positions).toMatchObject([{ market: "BTC-USD", side: "long", size: "0.3" }]);
    expect(opened.liquidatable).toBe(false);
    // equity − 0.3 × (entry − p) = 0.03 × 0.3 × p  ⇒  p ≈ 2.6 % below the entry.
    const liqPrice = Number(opened.positions[0].liquidationPrice);
    expect(liqPrice).toBeGreaterThan(Number(entry) * 0.97);
    expect(liqPrice).toBeLessThan(Number(bid));

    // The crash: wait for the liquidation on the account: subscription.
    const liqEvent = await until(
      "the liquidation on account:",
      () => events.find((e) => e.data.liquidations.length > 0),
      CRASH_START_MS + CRASH_DURATION_MS + 20_000 - elapsed,
    );
    const height = liqEvent.height;
    const liqs = liqEvent.data.liquidations;
    expect(liqs).toHaveLength(1);
    expect(liqs[0]).toMatchObject({
      market: "BTC-USD",
      account: alice.address,
      size: ALICE_SIZE,
      insurancePaid: "0",
    });
    expect(liqEvent.data.fills).toMatchObject([
      { price: `${bid}`, size: ALICE_SIZE, side: "sell", liquidation: true, role: "taker" },
    ]);

    // explain: every input, consistent with the fill and with the chain's formulas.
    const explained = (await client.explain({
      kind: "liquidation",
      height,
      account: alice.address,
    })) as unknown as Explained<LiquidationRecord>;
    expect(explained.records).toHaveLength(1);
    const rec = explained.records[0].data;
    expect(rec).toMatchObject({ account: alice.address, height, cancelledOrders: 0 });
    expect(rec.steps).toHaveLength(1);
    const step = rec.steps[0];
    const oracle = BigInt(step.oraclePriceTicks);
    expect(step).toMatchObject({
      market: "BTC-USD",
      positionLots: `${ALICE_LOTS}`,
      closeLots: `${ALICE_LOTS}`,
      filledLots: `${ALICE_LOTS}`,
      insurancePaidQuantums: "0",
      deleveraged: [],
    });
    expect(step.skipped).toBeUndefined();
    // The oracle fell below the liquidation price (and the bid): the crash did it.
    expect(Number(oracle)).toBeLessThan(liqPrice);
    // Equity = collateral − taker fee + 0.3 × (oracle − entry); MMR = 0.3 × oracle × 3 %.
    const { trades } = await client.trades("BTC-USD", 10);
    const openFill = trades.find((t) => t.taker === alice.address && !t.liquidation)!;
    const liqFill = trades.find((t) => t.taker === alice.address && t.liquidation)!;
    expect(liqFill).toMatchObject({ height, price: `${bid}`, maker: maker.address });
    const equityBefore =
      parseUsdc(ALICE_COLLATERAL) -
      parseUsdc(openFill.takerFee) +
      ALICE_LOTS * (oracle - entry) * QUANTUMS_PER_TICK_LOT;
    const mmr = (ALICE_LOTS * oracle * QUANTUMS_PER_TICK_LOT * MMF_PPM) / 1_000_000n;
    expect(BigInt(rec.equityBefore)).toBe(equityBefore);
    expect(BigInt(rec.maintenanceBefore)).toBe(mmr);
    expect(equityBefore).toBeLessThan(mmr); // liquidatable: equity < MMR
    expect(equityBefore).toBeGreaterThan(0n); // not bankrupt: no payout, no deleveraging
    // Fillable ≤ oracle; bankruptcy below it; the limit is the better of the two for the
    // account, and the bid it filled against is at least the limit.
    const fillable = BigInt(step.fillablePriceTicks);
    const bankruptcy = BigInt(step.bankruptcyPriceTicks);
    expect(fillable).toBeLessThanOrEqual(oracle);
    expect(bankruptcy).toBeLessThan(fillable);
    // Recomputed here (docs/risk.md; long: both rounded up, against the account):
    //   T = N × MMF (quantums·ppm), ABR = clamp((T − E·10^6) / T, 0, 1)
    //   fillable   = oracle × (1 − ABR × SMMR × MMF), SMMR = 0.1
    //   bankruptcy = oracle × (T − E × MMF) / T
    const t = ALICE_LOTS * oracle * QUANTUMS_PER_TICK_LOT * MMF_PPM;
    const abr = t - equityBefore * 1_000_000n; // × 1/T; in [0, T] as 0 < E < MMR
    const den = t * 1_000_000n * 1_000_000n;
    expect(fillable).toBe(ceilDiv(oracle * (den - abr * 100_000n * MMF_PPM), den));
    expect(bankruptcy).toBe(ceilDiv(oracle * (t - equityBefore * MMF_PPM), t));
    expect(BigInt(step.limitPriceTicks)).toBe(fillable > bankruptcy ? fillable : bankruptcy);
    expect(`${step.limitPriceTicks}`).toBe(liqs[0].limitPrice);
    expect(bid).toBeGreaterThanOrEqual(fillable);
    // The fee: the surplus over the bankruptcy quote, capped at 0.5 % of the notional.
    const notional = ALICE_LOTS * bid * QUANTUMS_PER_TICK_LOT;
    const fee = BigInt(step.feeToInsuranceQuantums);
    expect(fee).toBe((notional * MAX_LIQUIDATION_FEE_PPM) / 1_000_000n);
    expect(liqs[0].insuranceFee).toBe(formatUsdc(fee));
    expect(rec).toMatchObject({ maintenanceAfter: "0" });
    expect(BigInt(rec.equityAfter)).toBe(
      equityBefore + ALICE_LOTS * (bid - oracle) * QUANTUMS_PER_TICK_LOT - fee,
    );

    // The oracle record of that height carries the price the liquidation used.
    const oracleExplained = (await client.explain({
      kind: "oracle",
      height,
      market: "BTC-USD",
    })) as unknown as Explained<{ markets: { market: string; newPriceTicks: string }[] }>;
    expect(oracleExplained.records[0].data.markets[0].newPriceTicks).toBe(step.oraclePriceTicks);

    // block_results of that height hold the liquidation and its explain record.
    const results = await client.blockResults(height);
    const types = results.finalize_block_events.map((e) => e.type);
    expect(types).toContain("liquidation");
    expect(types).toContain("explain");

    // The insurance fund moved by exactly the fee; the account is flat with what is left.
    const fundAfter = parseUsdc((await client.insuranceFund()).balance);
    expect(fundAfter - fundBefore).toBe(fee);
    const after = await client.account(alice.address);
    expect(after.positions.filter((p) => p.size !== "0")).toEqual([]);
    expect(parseUsdc(after.equity)).toBe(BigInt(rec.equityAfter));
    drill = { height, address: alice.address, equity: after.equity };
    const makerAfter = await client.account(maker.address);
    expect(makerAfter.positions.filter((p) => p.market === "BTC-USD" && p.size !== "0")).toEqual(
      [],
    );

    // Every node: same block and app hash at every height, same block results at the
    // liquidation height, and none halted.
    const top = height + 3;
    for (let i = 0; i < 4; i++) await net.waitHeight(i, top, 20_000);
    const all = await Promise.all(clients.map((c) => headers(c, top)));
    for (let h = 1; h <= top; h++) {
      const want = all[0].get(h);
      expect(want, `height ${h} on node0`).toBeDefined();
      for (let i = 1; i < 4; i++) expect(all[i].get(h), `height ${h} on node${i}`).toBe(want);
    }
    const perNode = await Promise.all(clients.map((c) => c.blockResults(height)));
    for (const r of perNode) expect(r).toEqual(results);
    expect(net.procs.every((p) => p !== undefined && p.exitCode === null)).toBe(true);
  }, 90_000);

  it("the same liquidation through the CLI: query explain (human and --json), query account", async () => {
    expect(drill, "needs the drill above").toBeDefined();
    const { height, address, equity } = drill!;
    const node = net.layout.nodes[3].rpc;
    const cli = async (...argv: string[]) => {
      try {
        const r = await execFileP(
          process.execPath,
          [join(ROOT, "bin/perpetua.js"), ...argv, "--node", node],
          { cwd: ROOT },
        );
        return { code: 0, stdout: r.stdout, stderr: r.stderr };
      } catch (e) {
        const x = e as { code: number; stdout: string; stderr: string };
        return { code: x.code, stdout: x.stdout, stderr: x.stderr };
      }
    };
    const args = ["query", "explain", "--kind", "liquidation", "--height", `${height}`];
    const [human, json, wrongHeight, acct] = await Promise.all([
      cli(...args, "--account", address),
      cli(...args, "--account", address, "--json"),
      cli("query", "explain", "--kind", "liquidation", "--height", `${height - 1}`),
      cli("query", "account", address),
    ]);
    const viaRpc = await new PerpetuaClient(node).explain({
      kind: "liquidation",
      height,
      account: address,
    });
    // --json: one line, the node's result as is.
    expect(json.code).toBe(0);
    expect(json.stdout.trimEnd().split("\n")).toHaveLength(1);
    expect(JSON.parse(json.stdout)).toEqual(viaRpc);
    // Human: the same record as a field/value table, nested fields dotted.
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(
      new RegExp(`^liquidation at height ${height} \\(.*\\): 1 record$`, "m"),
    );
    expect(human.stdout).toMatch(new RegExp(`^record 1: liquidation ${address}$`, "m"));
    expect(human.stdout).toMatch(/^field +value$/m);
    expect(human.stdout).toMatch(new RegExp(`^account +${address}$`, "m"));
    expect(human.stdout).toMatch(/^steps\[0\]\.fillablePriceTicks +\d+$/m);
    expect(human.stdout).toMatch(/^steps\[0\]\.bankruptcyPriceTicks +\d+$/m);
    expect(human.stdout).toMatch(/^steps\[0\]\.deleveraged +none$/m);
    expect(human.stdout).toBe(`${explainText(viaRpc as unknown as ExplainResult)}\n`);
    // No liquidation the block before: one line, exit 1.
    expect(wrongHeight.code).toBe(1);
    expect(wrongHeight.stderr.trim()).toBe(
      `error: invalid_params (-32602): height: no liquidation at height ${height - 1}`,
    );
    // The account after, as a table: what the liquidation left, flat, nothing resting.
    expect(acct.code).toBe(0);
    expect(acct.stdout).toMatch(new RegExp(`^address +${address}$`, "m"));
    expect(acct.stdout).toMatch(new RegExp(`^equity +${equity.replace(".", "\\.")}$`, "m"));
    expect(acct.stdout).toMatch(/^maintenance margin +0$/m);
    expect(acct.stdout).toMatch(/^liquidatable +false$/m);
    expect(acct.stdout).toContain("positions: none");
    expect(acct.stdout).toContain("open orders: none");
  }, 30_000);
});

describe("scenario flags of perpetua devnet and testnet", () => {
  const args = (...argv: string[]): Args => parseArgs(argv);
  const error = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(CliError);
      return (e as Error).message;
    }
    throw new Error("no error");
  };

  it("accepts every scenario with durations in ms, s, m or h", () => {
    expect(scenarioFlags(args())).toEqual({ scenario: "none" });
    for (const s of ["none", "crash", "grind", "gap"])
      expect(scenarioFlags(args("--scenario", s)).scenario).toBe(s);
    expect(
      scenarioFlags(
        args("--scenario", "crash", "--scenario-start", "30s", "--scenario-duration", "1500ms"),
      ),
    ).toEqual({ scenario: "crash", scenarioStartMs: 30_000, scenarioDurationMs: 1500 });
    expect(scenarioFlags(args("--scenario=grind", "--scenario-duration=2m"))).toEqual({
      scenario: "grind",
      scenarioDurationMs: 120_000,
    });
    expect(scenarioFlags(args("--scenario", "gap", "--scenario-start", "0"))).toEqual({
      scenario: "gap",
      scenarioStartMs: 0,
    });
  });

  it("refuses bad scenarios and timings with one precise line", () => {
    expect(error(() => scenarioFlags(args("--scenario", "melt")))).toBe(
      '--scenario must be one of none, crash, grind, gap, got "melt"',
    );
    expect(error(() => scenarioFlags(args("--scenario")))).toBe("--scenario needs a value");
    expect(error(() => scenarioFlags(args("--scenario", "crash", "--scenario-start")))).toBe(
      "--scenario-start needs a value, e.g. 30s",
    );
    expect(error(() => scenarioFlags(args("--scenario-start", "10s")))).toBe(
      "--scenario-start needs --scenario crash|grind|gap",
    );
    expect(error(() => scenarioFlags(args("--scenario", "crash", "--scenario-start", "10")))).toBe(
      '--scenario-start: expected a duration like 30s, 1500ms or 2m, got "10"',
    );
    expect(
      error(() => scenarioFlags(args("--scenario", "crash", "--scenario-duration", "-5s"))),
    ).toBe('--scenario-duration: expected a duration like 30s, 1500ms or 2m, got "-5s"');
    expect(
      error(() => scenarioFlags(args("--scenario", "crash", "--scenario-duration", "0s"))),
    ).toBe('--scenario-duration must be 1ms..365 days, got "0s"');
    expect(
      error(() => scenarioFlags(args("--scenario", "crash", "--scenario-start", "9000h"))),
    ).toBe('--scenario-start must be 0..365 days, got "9000h"');
    expect(error(() => scenarioFlags(args("--scenario", "gap", "--scenario-duration", "5s")))).toBe(
      "--scenario-duration: a gap has no duration (it jumps at --scenario-start)",
    );
    expect(error(() => devnetOptions(args("--scenario", "crash", "--scenario-begin", "5s")))).toBe(
      "unknown flag --scenario-begin",
    );
    expect(error(() => devnetOptions(args("crash")))).toBe(
      'unexpected argument "crash" (perpetua devnet --help)',
    );
  });

  it("devnet --reset wipes the directory; a resumed devnet keeps its chain and its walk; --scenario is written to every node", async () => {
    const dir = mkdtempSync(join(tmpdir(), "perpetua-devnet-args-"));
    try {
      const opts = (...extra: string[]) =>
        devnetOptions(args("--dir", dir, "--validators", "2", ...extra));
      const configs = () =>
        [0, 1].map(
          (i) =>
            JSON.parse(readFileSync(join(dir, `node${i}`, "config", "config.json"), "utf8")).oracle
              .sources[0],
        );
      const chainOf = () => readFileSync(join(dir, "accounts.json"), "utf8");
      const genesisMs = () =>
        Date.parse(
          JSON.parse(readFileSync(join(dir, "node0", "config", "genesis.json"), "utf8"))
            .genesis_time,
        );

      const first = await prepareDevnet(opts());
      expect(first.resumed).toBe(false);
      expect(configs()[0]).toMatchObject({ scenario: "none" });
      const accounts = chainOf();

      // Resumed 100 s after genesis with a crash 5 s from now: the epoch stays the genesis
      // time (the walk continues), the crash starts 105 s after it.
      const crash = await prepareDevnet(
        opts("--scenario", "crash", "--scenario-start", "5s", "--scenario-duration", "10s"),
        genesisMs() + 100_000,
      );
      expect(crash.resumed).toBe(true);
      expect(chainOf()).toBe(accounts);
      for (const s of configs()) {
        expect(s).toMatchObject({
          scenario: "crash",
          scenarioStartMs: 105_000,
          scenarioDurationMs: 10_000,
        });
        expect(s).not.toHaveProperty("epochMs");
      }
      // Without --scenario-start, the scenario's default start (one minute) from now.
      await prepareDevnet(opts("--scenario", "gap"), genesisMs() + 7_000);
      expect(configs()[1]).toMatchObject({ scenario: "gap", scenarioStartMs: 67_000 });
      expect(configs()[1]).not.toHaveProperty("scenarioDurationMs");
      // Back to none: no timing left behind (the config would refuse it).
      await prepareDevnet(opts());
      for (const s of configs()) {
        expect(s.scenario).toBe("none");
        for (const k of ["epochMs", "scenarioStartMs", "scenarioDurationMs"])
          expect(s).not.toHaveProperty(k);
      }
      await expect(prepareDevnet(devnetOptions(args("--dir", dir)))).rejects.toThrow(
        `${dir} holds a 2-validator devnet; use --validators 2 or --reset`,
      );

      const reset = await prepareDevnet(opts("--reset", "--scenario", "grind"));
      expect(reset.resumed).toBe(false);
      expect(chainOf()).not.toBe(accounts);
      expect(configs()[0]).toMatchObject({ scenario: "grind" });
      expect(configs()[0].scenarioStartMs).toBeLessThan(5_000); // grind starts at once
      expect(existsSync(join(dir, "node1", "config", "genesis.json"))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
