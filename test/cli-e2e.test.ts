/**
 * A new user's path through the CLI against a real 4-process testnet: keys add (plaintext),
 * faucet, a limit order that rests, a crossing order that fills against a resting order of
 * another demo account, the position in `query account`, closing it with a reduce-only
 * market order; plus the book, trades and one-line errors from a live node.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningTestnet, startLiveTestnet } from "./helpers/testnet.js";

const ROOT = join(import.meta.dirname, "..");
const run = promisify(execFile);

let net: RunningTestnet;
let home: string;

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(
      process.execPath,
      [
        join(ROOT, "bin/perpetua.js"),
        ...argv,
        "--home",
        home,
        ...(argv[0] === "keys" ? [] : ["--node", net.layout.nodes[0].rpc]),
      ],
      { cwd: ROOT, env: { ...process.env, PERPETUA_PASSPHRASE: "" } },
    );
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

async function cliJson<T>(...argv: string[]): Promise<T> {
  const r = await cli(...argv, "--json");
  expect(r.stderr, r.stdout).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as T;
}

interface TxOut {
  hash: string;
  height: number;
  code: number;
  results: { code: number; status?: string; orderId?: number; filled?: string; log: string }[];
}

interface AccountOut {
  collateral: string;
  positions: { market: string; side: string; size: string }[];
  openOrders: { orderId: number; clientId: number; remaining: string }[];
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "perpetua-cli-e2e-"));
  net = await startLiveTestnet();
}, 100_000);

afterAll(async () => {
  await net?.stopAll();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe("the CLI against a live 4-validator testnet", () => {
  it("keys add, faucet, a resting order, a fill against another account, the position, closing it", async () => {
    const alice = await cliJson<{ address: string; encrypted: boolean }>(
      "keys",
      "add",
      "alice",
      "--unsafe-plaintext",
    );
    expect(alice.encrypted).toBe(false);
    await cliJson(
      "keys",
      "import",
      "maker",
      "--seed",
      net.layout.accounts[1].seed,
      "--unsafe-plaintext",
    );

    const fund = await cliJson<TxOut>("tx", "faucet", "--amount", "1000", "--from", "alice");
    expect(fund.results).toEqual([{ code: 0, log: expect.any(String) }]);

    const common = ["--market", "BTC-USD", "--type", "limit"];
    const rest = await cliJson<TxOut>(
      "tx",
      "place-order",
      ...common,
      "--side",
      "buy",
      "--price",
      "50000",
      "--size",
      "0.01",
      "--client-id",
      "1",
      "--from",
      "alice",
    );
    expect(rest.results[0]).toMatchObject({ code: 0, status: "resting", filled: "0" });

    // The other demo account quotes both sides; alice's buy at its ask crosses.
    const [ask, bid] = await Promise.all([
      cliJson<TxOut>(
        "tx",
        "place-order",
        ...common,
        "--side",
        "sell",
        "--price",
        "61000",
        "--size",
        "0.01",
        "--client-id",
        "11",
        "--from",
        "maker",
      ),
      cliJson<TxOut>(
        "tx",
        "place-order",
        ...common,
        "--side",
        "buy",
        "--price",
        "59500",
        "--size",
        "0.01",
        "--client-id",
        "12",
        "--from",
        "maker",
      ),
    ]).catch(async () => {
      // One key, two processes: the nonces are timestamps, so both are normally accepted.
      throw new Error("maker quotes failed");
    });
    expect(ask.results[0].status).toBe("resting");
    expect(bid.results[0].status).toBe("resting");

    const fill = await cliJson<TxOut>(
      "tx",
      "place-order",
      ...common,
      "--side",
      "buy",
      "--price",
      "61000",
      "--size",
      "0.01",
      "--client-id",
      "2",
      "--from",
      "alice",
    );
    expect(fill.results[0]).toMatchObject({ code: 0, status: "filled", filled: "0.01" });

    const acct = await cliJson<AccountOut>("query", "account", alice.address);
    expect(acct.positions).toMatchObject([{ market: "BTC-USD", side: "long", size: "0.01" }]);
    expect(acct.openOrders).toMatchObject([{ clientId: 1, remaining: "0.01" }]);

    const human = await cli("query", "account", "--key", "alice");
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/BTC-USD\s+long\s+0\.01\s+61000/);

    const close = await cliJson<TxOut>(
      "tx",
      "place-order",
      "--market",
      "BTC-USD",
      "--side",
      "sell",
      "--type",
      "market",
      "--price",
      "59000",
      "--size",
      "0.01",
      "--reduce-only",
      "--from",
      "alice",
    );
    expect(close.results[0]).toMatchObject({ code: 0, status: "filled", filled: "0.01" });
    const after = await cliJson<AccountOut>("query", "account", alice.address);
    expect(after.positions.filter((p) => p.size !== "0")).toEqual([]);

    const trades = await cliJson<{ trades: { price: string; size: string; taker: string }[] }>(
      "query",
      "trades",
      "BTC-USD",
    );
    expect(trades.trades.slice(0, 2).map((t) => [t.price, t.taker])).toEqual([
      ["59500", alice.address],
      ["61000", alice.address],
    ]);

    const book = await cli("query", "book", "BTC-USD");
    expect(book.code).toBe(0);
    expect(book.stdout).toMatch(/bid\s+50000\s+0\.01/);

    const cancel = await cliJson<TxOut>(
      "tx",
      "cancel-all",
      "--market",
      "BTC-USD",
      "--from",
      "alice",
    );
    expect(cancel.results[0]).toMatchObject({ code: 0, cancelled: 1 });
  }, 60_000);

  it("reports chain and user errors as one line with exit code 1", async () => {
    const unknown = await cli(
      "tx",
      "place-order",
      "--market",
      "NOPE-USD",
      "--side",
      "buy",
      "--price",
      "1",
      "--size",
      "1",
      "--from",
      "maker",
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1);
    expect(unknown.stderr).toMatch(/^error: .*(unknown market|300)/);

    const book = await cli("query", "book", "NOPE-USD");
    expect(book.code).toBe(1);
    expect(book.stderr).toMatch(/^error: unknown_market \(300\): unknown market NOPE-USD\n$/);

    const down = await run(
      process.execPath,
      [join(ROOT, "bin/perpetua.js"), "query", "status", "--node", "http://127.0.0.1:1"],
      { cwd: ROOT },
    ).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^error: status: cannot reach http:\/\/127\.0\.0\.1:1/);
  }, 30_000);
});
