/**
 * CLI units: the keystore (scrypt + aes-256-gcm) round-trips, refuses a wrong passphrase
 * and an altered file with one clean message; user errors of every new command print one
 * line and exit 1 (real `node bin/perpetua.js` processes); the genesis commands build a
 * document that `genesis validate` (the node's parser) accepts, and report the precise
 * field when it is not; the book ladder is aligned; duration flags (one parser for bench,
 * testnet and devnet); explain records as field/value tables; chain and JSON-RPC errors
 * named on one line (against a stub JSON-RPC server); `perpetua help` names every flag.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { CliError, duration, parseArgs, parseDuration } from "../cli/args.js";
import { BENCH_FLAGS } from "../cli/bench/options.js";
import { DEVNET_FLAGS } from "../cli/devnet/index.js";
import { GENESIS_FLAGS } from "../cli/genesis/index.js";
import { decryptSeed, encryptSeed } from "../cli/keys/keystore.js";
import { clientErrorLine } from "../cli/query/common.js";
import { explainText, fieldRows, ladder } from "../cli/query/index.js";
import { TESTNET_FLAGS } from "../cli/testnet/index.js";
import { TX_FLAGS } from "../cli/tx/index.js";
import { PerpetuaClientError } from "../rpc/client/errors.js";
import { seedFromHex } from "../rpc/client/signer.js";

const ROOT = join(import.meta.dirname, "..");
const exec = promisify(execFile);
const SEED = seedFromHex("42".repeat(32));
// Small scrypt cost for unit speed; the format records N, r, p, so decryption follows it.
const FAST = { N: 1 << 10, r: 8, p: 1 };
const dirs: string[] = [];

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "perpetua-cli-"));
  dirs.push(d);
  return d;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [join(ROOT, "bin/perpetua.js"), ...argv], {
      cwd: ROOT,
      env: { ...process.env, PERPETUA_PASSPHRASE: "" },
    });
    return { code: 0, ...r };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

describe("keystore", () => {
  it("round-trips with the passphrase and never stores the seed in clear", () => {
    const f = encryptSeed("alice", SEED, "correct horse", FAST);
    expect(JSON.stringify(f)).not.toContain("42".repeat(32));
    expect(f.crypto).toMatchObject({ kdf: "scrypt", cipher: "aes-256-gcm", N: 1024 });
    expect(decryptSeed(f, "correct horse")).toEqual(SEED);
  });

  it("a wrong passphrase fails cleanly with a CliError", () => {
    const f = encryptSeed("alice", SEED, "correct horse", FAST);
    expect(() => decryptSeed(f, "wrong")).toThrow(CliError);
    expect(() => decryptSeed(f, "wrong")).toThrow("key alice: wrong passphrase");
    expect(() => decryptSeed(f, undefined)).toThrow(/is encrypted: pass --passphrase/);
  });

  it("an edited address fails authentication (the address is the cipher's associated data)", () => {
    const f = encryptSeed("alice", SEED, "pw", FAST);
    const forged = { ...f, address: `0x${"00".repeat(20)}` };
    expect(() => decryptSeed(forged, "pw")).toThrow(
      /wrong passphrase \(or the key file was altered\)/,
    );
  });

  it("plaintext keys (devnets) are marked as such and checked against their address", () => {
    const f = encryptSeed("dev", SEED, undefined);
    expect(f.unsafePlaintextSeed).toBe("42".repeat(32));
    expect(decryptSeed(f, undefined)).toEqual(SEED);
    expect(() => decryptSeed({ ...f, unsafePlaintextSeed: "43".repeat(32) }, undefined)).toThrow(
      /does not match the address/,
    );
  });
});

describe("duration flags (cli/args.ts, shared by bench, testnet and devnet)", () => {
  const DAY = { minMs: 0, maxMs: 86_400_000 };
  const message = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(CliError);
      return (e as Error).message;
    }
    throw new Error("no error");
  };

  it.each([
    ["1500ms", 1_500],
    ["30s", 30_000],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["45", 45_000],
    ["1.5m", 90_000],
    ["0.25s", 250],
    ["1.6ms", 2],
    [" 5s ", 5_000],
    ["0", 0],
    ["0ms", 0],
    ["24h", 86_400_000],
  ])("%j is %d ms (plain numbers are seconds)", (text, ms) => {
    expect(parseDuration("wait", text, DAY)).toBe(ms);
  });

  it("refuses what is not a duration with one line naming the flag", () => {
    for (const text of ["", "soon", "-5s", "5 s", "1e3", "5sec", "1d", ".5s", "30S"]) {
      expect(message(() => parseDuration("wait", text, DAY))).toBe(
        `--wait: expected a duration like 30s, 1500ms, 2m or plain seconds, got "${text}"`,
      );
    }
  });

  it("refuses values outside the caller's bounds, written in the largest exact unit", () => {
    expect(message(() => parseDuration("wait", "25h", DAY))).toBe(
      '--wait must be 0..1 day, got "25h"',
    );
    expect(message(() => parseDuration("wait", "0", { minMs: 1000, maxMs: 90_000 }))).toBe(
      '--wait must be 1s..90s, got "0"',
    );
    expect(message(() => parseDuration("wait", "0.4ms", { minMs: 1, maxMs: 120_000 }))).toBe(
      '--wait must be 1ms..2m, got "0.4ms"',
    );
    expect(
      message(() => parseDuration("wait", "8761h", { minMs: 0, maxMs: 365 * 86_400_000 })),
    ).toBe('--wait must be 0..365 days, got "8761h"');
  });

  it("plainSeconds: false needs a unit, except for 0", () => {
    const unit = { ...DAY, plainSeconds: false };
    expect(parseDuration("start", "0", unit)).toBe(0);
    expect(parseDuration("start", "1500ms", unit)).toBe(1_500);
    expect(message(() => parseDuration("start", "10", unit))).toBe(
      '--start: expected a duration like 30s, 1500ms or 2m, got "10"',
    );
  });

  it("reads the flag: absent is undefined, a bare flag needs a value", () => {
    expect(duration(parseArgs([]), "wait", DAY)).toBeUndefined();
    expect(duration(parseArgs(["--wait=2m"]), "wait", DAY)).toBe(120_000);
    expect(duration(parseArgs(["--wait", "90"]), "wait", DAY)).toBe(90_000);
    expect(message(() => duration(parseArgs(["--wait"]), "wait", DAY))).toBe(
      "--wait needs a value, e.g. 30s",
    );
  });
});

describe("CLI user errors: one line, exit code 1", () => {
  const cases: [string[], RegExp][] = [
    [["keys"], /^error: missing subcommand: perpetua keys /],
    [["keys", "add", "x", "--home", "/nonexistent-perpetua"], /^error: a passphrase is needed/],
    [["keys", "add", "bad/name", "--unsafe-plaintext"], /^error: key name "bad\/name"/],
    [
      ["keys", "import", "k", "--seed", "zz", "--unsafe-plaintext"],
      /^error: --seed: seed must be 64 hex/,
    ],
    [["keys", "show", "nobody", "--home", "/nonexistent-perpetua"], /^error: no key named nobody/],
    [
      ["tx", "place-order", "--market", "BTC-USD", "--side", "up"],
      /^error: --side: expected buy \| sell, got "up"/,
    ],
    [
      ["tx", "place-order", "--market", "BTC-USD", "--side", "buy", "--size", "1", "--from", "a"],
      /^error: missing --price/,
    ],
    [
      [
        "tx",
        "place-order",
        "--trigger",
        "stop",
        "--market",
        "M-USD",
        "--side",
        "buy",
        "--price",
        "1",
        "--size",
        "1",
        "--from",
        "a",
      ],
      /^error: --trigger: expected stop:PRICE/,
    ],
    [
      ["tx", "cancel", "--market", "BTC-USD", "--from", "a"],
      /^error: exactly one of --order-id and --client-id/,
    ],
    [
      ["tx", "transfer", "--to", "0x12", "--amount", "1", "--from", "a"],
      /^error: --to: expected 0x and 40 hex digits/,
    ],
    [
      ["tx", "faucet", "--amount", "1", "--from", "a", "--colour", "red"],
      /^error: unknown flag --colour/,
    ],
    [
      ["tx", "faucet", "--amount", "1", "--from", "nobody", "--home", "/nonexistent-perpetua"],
      /^error: no key named nobody/,
    ],
    [["query", "book"], /^error: missing MARKET/],
    [["query", "block", "--height", "-3"], /^error: --height must be an integer/],
    [["query", "account", "0xnothex"], /^error: ADDRESS: expected 0x and 40 hex digits/],
    [
      ["query", "explain", "--kind", "weather", "--height", "1"],
      /^error: --kind: expected liquidation/,
    ],
    [["query", "status", "--node", "ftp://x"], /^error: --node: expected http:\/\/host:port/],
    [["query", "nope"], /^error: unknown subcommand "query nope"/],
    [["genesis", "validate", "--home", "/nonexistent-perpetua"], /^error: no genesis at /],
  ];
  it.concurrent.each(cases)("perpetua %j", async (argv, re) => {
    const r = await cli(...argv);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(re);
    expect(r.stderr.trimEnd().split("\n"), r.stderr).toHaveLength(1);
  });
});

describe("genesis commands", () => {
  it("new, add-validator, add-account, add-market, then validate; a broken field is named", async () => {
    const home = tmp();
    const h = ["--home", home];
    expect((await cli("genesis", "new", "--chain-id", "my-chain", ...h)).code).toBe(0);
    const early = await cli("genesis", "validate", ...h);
    expect(early.stderr).toMatch(/genesis\.validators: at least one validator\n$/);
    const pub = Buffer.alloc(32, 7).toString("base64");
    const v = await cli(
      "genesis",
      "add-validator",
      "--pubkey",
      pub,
      "--power",
      "5",
      "--name",
      "v0",
      ...h,
    );
    expect(v.code, v.stderr).toBe(0);
    const a = await cli(
      "genesis",
      "add-account",
      "--address",
      `0x${"ab".repeat(20)}`,
      "--collateral",
      "5000",
      ...h,
    );
    expect(a.code, a.stderr).toBe(0);
    const m = await cli(
      "genesis",
      "add-market",
      "--id",
      "SOL-USD",
      "--tick-size",
      "0.01",
      "--step-size",
      "0.1",
      "--oracle-price",
      "150",
      ...h,
    );
    expect(m.code, m.stderr).toBe(0);
    const ok = await cli("genesis", "validate", "--json", ...h);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      chainId: "my-chain",
      validators: "1",
      markets: "SOL-USD",
      accounts: "1",
    });
    const dup = await cli(
      "genesis",
      "add-market",
      "--id",
      "SOL-USD",
      "--tick-size",
      "1",
      "--step-size",
      "1",
      "--oracle-price",
      "1",
      ...h,
    );
    expect(dup.stderr).toBe("error: market SOL-USD is already in the genesis\n");

    const path = join(home, "config", "genesis.json");
    const doc = JSON.parse(readFileSync(path, "utf8"));
    doc.app_state.markets[0].initialOraclePrice = "150.001";
    writeFileSync(path, JSON.stringify(doc));
    const bad = await cli("genesis", "validate", ...h);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: .*genesis\.app_state\.markets\[0\]\.initialOraclePrice: /);
  }, 30_000);
});

describe("book ladder", () => {
  it("puts asks above bids, best prices at the spread, totals accumulating outwards, aligned", () => {
    const out = ladder({
      market: "BTC-USD",
      height: 9,
      bids: [
        ["59990", "0.5"],
        ["59900", "1.25"],
      ],
      asks: [
        ["60010", "0.1"],
        ["60100", "2"],
      ],
    });
    expect(out.split("\n")).toEqual([
      "BTC-USD at height 9",
      "     price  size  total",
      "ask  60100     2    2.1",
      "ask  60010   0.1    0.1",
      "---- spread 20 ----",
      "bid  59990   0.5    0.5",
      "bid  59900  1.25   1.75",
    ]);
  });
});

describe("query explain, human output: field/value tables", () => {
  it("flattens nested objects with dotted keys, indexes arrays of objects, joins arrays of scalars", () => {
    expect(
      fieldRows({
        account: "0xab",
        cancelledOrders: 0,
        fresh: true,
        skipped: null,
        note: "",
        steps: [{ market: "BTC-USD", deleveraged: [], prices: ["1", "2"] }],
        ignored: [],
        extra: {},
      }),
    ).toEqual([
      ["account", "0xab"],
      ["cancelledOrders", "0"],
      ["fresh", "true"],
      ["skipped", "-"],
      ["note", "-"],
      ["steps[0].market", "BTC-USD"],
      ["steps[0].deleveraged", "none"],
      ["steps[0].prices", "1, 2"],
      ["ignored", "none"],
      ["extra", "none"],
    ]);
  });

  it("prints a title, then each record as an aligned two-column table", () => {
    const out = explainText({
      kind: "oracle",
      height: 5,
      time: "2026-11-29T00:44:25.393Z",
      records: [
        {
          kind: "oracle",
          key: "",
          data: {
            height: 4,
            markets: [
              {
                market: "BTC-USD",
                newPriceTicks: "59991",
                reports: [{ validator: "120f", priceTicks: "60005" }],
              },
            ],
            ignored: ["66c1"],
          },
        },
        { kind: "oracle", key: "BTC-USD", data: null },
      ],
    });
    expect(out.split("\n")).toEqual([
      "oracle at height 5 (2026-11-29T00:44:25.393Z): 2 records",
      "",
      "record 1: oracle",
      "field                             value",
      "--------------------------------  -------",
      "height                            4",
      "markets[0].market                 BTC-USD",
      "markets[0].newPriceTicks          59991",
      "markets[0].reports[0].validator   120f",
      "markets[0].reports[0].priceTicks  60005",
      "ignored                           66c1",
      "",
      "record 2: oracle BTC-USD",
      "field  value",
      "-----  -----",
      "data   -",
    ]);
  });
});

describe("chain errors: one line with the code's name", () => {
  const line = (message: string, code?: number) =>
    clientErrorLine(new PerpetuaClientError("rpc", message, code === undefined ? {} : { code }));

  it("names JSON-RPC protocol codes as application codes are named, without repeating the name", () => {
    expect(line("Invalid params: height: no liquidation at height 5", -32602)).toBe(
      "invalid_params (-32602): height: no liquidation at height 5",
    );
    expect(line("Method not found: nope", -32601)).toBe("method_not_found (-32601): nope");
    expect(line("Invalid request: batch of 101", -32600)).toBe(
      "invalid_request (-32600): batch of 101",
    );
    expect(line("Parse error: Unexpected token", -32700)).toBe(
      "parse_error (-32700): Unexpected token",
    );
    expect(line("Internal error", -32603)).toBe("internal_error (-32603): Internal error");
    expect(line("busy", -32001)).toBe("server_error (-32001): busy");
    expect(line("unknown market DOGE-USD", 300)).toBe(
      "unknown_market (300): unknown market DOGE-USD",
    );
    expect(line("odd", -1)).toBe("-1: odd");
    expect(line("status: cannot reach http://127.0.0.1:1: bad port")).toBe(
      "status: cannot reach http://127.0.0.1:1: bad port",
    );
  });

  it("perpetua query: a JSON-RPC error and an application error, each one line, exit 1", async () => {
    const errors: Record<string, { code: number; message: string; data?: unknown }> = {
      explain: { code: -32602, message: "Invalid params: height: no liquidation at height 5" },
      orderbook: { code: 300, message: "unknown market DOGE-USD", data: "unknown_market" },
    };
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        const { id, method } = JSON.parse(body) as { id: number; method: string };
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ jsonrpc: "2.0", id, error: errors[method] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const node = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const [explain, book] = await Promise.all([
        cli("query", "explain", "--kind", "liquidation", "--height", "5", "--node", node),
        cli("query", "book", "DOGE-USD", "--node", node),
      ]);
      expect(explain.code).toBe(1);
      expect(explain.stderr).toBe(
        "error: invalid_params (-32602): height: no liquidation at height 5\n",
      );
      expect(book.code).toBe(1);
      expect(book.stderr).toBe("error: unknown_market (300): unknown market DOGE-USD\n");
    } finally {
      server.close();
    }
  });
});

describe("perpetua help", () => {
  // Each command's accepted flags (its `only(args, [...])` lists, imported where exported),
  // which help must name.
  const withoutShared = (flags: readonly string[]) => [
    ...new Set(flags.filter((f) => !["home", "json", "node"].includes(f))),
  ];
  const FLAGS: Record<string, readonly string[]> = {
    init: ["home", "moniker", "force", "json"],
    testnet: TESTNET_FLAGS,
    start: ["home"],
    devnet: DEVNET_FLAGS,
    keys: ["passphrase", "unsafe-plaintext", "force", "seed"],
    // Less the options every subcommand shares, which help lists once.
    genesis: withoutShared(Object.values(GENESIS_FLAGS).flat()),
    tx: withoutShared(Object.values(TX_FLAGS).flat()),
    query: ["height", "key", "depth", "limit", "kind", "account", "market"],
    bench: BENCH_FLAGS,
  };

  it("lists every command with every flag it takes", async () => {
    const r = await cli("help");
    expect(r.code).toBe(0);
    // A command's part: from its line to the next command's.
    const parts = new Map<string, string>();
    const names = Object.keys(FLAGS);
    for (const [i, name] of names.entries()) {
      const from = r.stdout.search(new RegExp(`^  ${name} `, "m"));
      const to =
        i + 1 < names.length ? r.stdout.search(new RegExp(`^  ${names[i + 1]} `, "m")) : -1;
      expect(from, name).toBeGreaterThan(0);
      parts.set(name, r.stdout.slice(from, to < 0 ? undefined : to));
    }
    for (const [name, flags] of Object.entries(FLAGS)) {
      for (const flag of flags)
        expect(parts.get(name), `${name} --${flag}`).toMatch(new RegExp(`--${flag}\\b`));
    }
  });
});
