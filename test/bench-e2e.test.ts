/**
 * `perpetua bench` end to end against a live 4-validator testnet of real processes: a short
 * open-loop run spread over the four nodes funds its own accounts with the faucet, commits
 * transactions of 20 orders, and prints one JSON line with the contract's fields. Only
 * sanity is asserted (something committed, latencies ordered and bounded): tests never
 * assert on speed.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningTestnet, startLiveTestnet } from "./helpers/testnet.js";

const ROOT = join(import.meta.dirname, "..");
const exec = promisify(execFile);
let net: RunningTestnet;

beforeAll(async () => {
  net = await startLiveTestnet(4, { accounts: 2 });
}, 100_000);

afterAll(async () => {
  await net?.stopAll();
});

describe("perpetua bench against a live testnet", () => {
  it("commits batched orders from fresh faucet accounts and reports one JSON line", async () => {
    const nodes = net.layout.nodes.map((n) => n.rpc).join(",");
    const argv = ["bench", "--node", nodes, "--duration", "5s", "--orders-per-tx", "20"];
    const { stdout, stderr } = await exec(
      process.execPath,
      [join(ROOT, "bin/perpetua.js"), ...argv, "--accounts", "8", "--json"],
      { cwd: ROOT, timeout: 50_000 },
    );
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const r = JSON.parse(lines[0]);
    expect(Object.keys(r).slice(0, 4)).toEqual(["tx_s", "orders_s", "p50_ms", "p99_ms"]);
    expect(r.committed).toBeGreaterThan(0);
    // Rates are over the 5 s window, rounded to whole numbers (above 100) or one decimal.
    expect(Math.abs(r.tx_s - r.committed / 5)).toBeLessThanOrEqual(0.5);
    expect(r.orders_per_tx).toBe(20);
    expect(r.nodes).toBe(4);
    expect(r.submitted).toBeGreaterThanOrEqual(r.committed + r.committed_late);
    // Every sampled order executed (the IOC far from the market is accepted, then cancelled).
    expect(r.sampled_orders).toBeGreaterThan(0);
    expect(r.sampled_failed_orders).toBe(0);
    expect(Math.abs(r.orders_s - (r.committed * 20) / 5)).toBeLessThanOrEqual(0.5);
    expect(r.p50_ms).toBeGreaterThan(0);
    expect(r.p99_ms).toBeGreaterThanOrEqual(r.p50_ms);
    expect(r.max_ms).toBeGreaterThanOrEqual(r.p99_ms);
    expect(r.max_ms).toBeLessThan(30_000);
    // Not a terminal: progress as plain lines on stderr, no bar.
    expect(stderr).toContain("bench: funding 8 accounts with the faucet");
    // Signed before the window, the last progress line the whole count.
    expect(stderr).toMatch(/bench: signing ([\d,]+) of \1 transactions ahead\n/);
    expect(stderr).not.toContain("\r");
  }, 60_000);
});
