/**
 * CLI units: the keystore (scrypt + aes-256-gcm) round-trips, refuses a wrong passphrase
 * and an altered file with one clean message; user errors of every new command print one
 * line and exit 1 (real `node bin/perpetua.js` processes); the genesis commands build a
 * document that `genesis validate` (the node's parser) accepts, and report the precise
 * field when it is not; the book ladder is aligned.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { CliError } from "../cli/args.js";
import { decryptSeed, encryptSeed } from "../cli/keys/keystore.js";
import { ladder } from "../cli/query/index.js";
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
