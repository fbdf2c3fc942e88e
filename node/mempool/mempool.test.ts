import { describe, expect, it } from "vitest";
import type { CheckTxResponse } from "../../lib/abci.js";
import { ErrorCode } from "../../lib/errors.js";
import { Mempool } from "./mempool.js";

/** A fake app: tx = [sender, priority, valid, expires]; validity can be flipped for recheck. */
class FakeApp {
  invalid = new Set<number>();
  checks = 0;
  checkTx(tx: Uint8Array, _mode: "new" | "recheck"): CheckTxResponse {
    this.checks++;
    const ok = tx[2] === 1 && !this.invalid.has(tx[3]);
    return {
      ok,
      code: ok ? 0 : ErrorCode.BAD_NONCE,
      log: ok ? "ok" : "bad",
      priority: tx[1],
      sender: `s${tx[0]}`,
      nonce: tx[3],
      expiresAfterHeight: tx[4],
    };
  }
}

const tx = (sender: number, priority: number, id: number, expires = 0, valid = 1) =>
  new Uint8Array([sender, priority, valid, id, expires]);

function pool(app: FakeApp, o: Partial<ConstructorParameters<typeof Mempool>[0]> = {}) {
  return new Mempool(
    { maxTxs: 100, maxBytes: 1 << 20, maxTxsPerAccount: 10, maxTxBytes: 64, ...o },
    app,
  );
}

describe("mempool", () => {
  it("orders by priority, FIFO within a priority", () => {
    const app = new FakeApp();
    const m = pool(app);
    for (const t of [tx(1, 1, 1), tx(2, 1, 2), tx(3, 2, 3), tx(4, 1, 4), tx(5, 2, 5)])
      expect(m.add(t).code).toBe(0);
    expect(m.reap(1 << 20, 100).map((t) => t[3])).toEqual([3, 5, 1, 2, 4]);
    expect(m.reap(1 << 20, 2).map((t) => t[3])).toEqual([3, 5]);
  });

  it("refuses duplicates, failures, oversize, and committed transactions without re-adding them", () => {
    const app = new FakeApp();
    const m = pool(app);
    const t = tx(1, 1, 1);
    expect(m.add(t).added).toBe(true);
    expect(m.add(t).code).toBe(ErrorCode.ALREADY_IN_MEMPOOL);
    expect(m.add(tx(1, 1, 2, 0, 0)).code).toBe(ErrorCode.BAD_NONCE);
    expect(m.add(new Uint8Array(65)).code).toBe(ErrorCode.TOO_LARGE);
    m.update(1, [t]);
    expect(m.size()).toBe(0);
    const checks = app.checks;
    expect(m.add(t).added).toBe(false);
    expect(app.checks).toBe(checks); // never re-proposed, never rechecked
  });

  it("is full at its limits; higher priority evicts the newest lowest-priority entry", () => {
    const app = new FakeApp();
    const m = pool(app, { maxTxs: 3 });
    m.add(tx(1, 1, 1));
    m.add(tx(2, 1, 2));
    m.add(tx(3, 1, 3));
    expect(m.add(tx(4, 1, 4)).code).toBe(ErrorCode.MEMPOOL_FULL);
    expect(m.add(tx(5, 2, 5)).added).toBe(true);
    expect(m.reap(1 << 20, 10).map((t) => t[3])).toEqual([5, 1, 2]);
    const perAccount = pool(app, { maxTxsPerAccount: 2 });
    perAccount.add(tx(9, 1, 1));
    perAccount.add(tx(9, 1, 2));
    expect(perAccount.add(tx(9, 1, 3)).code).toBe(ErrorCode.MEMPOOL_FULL);
  });

  it("after a block: removes committed, evicts expired good-til-block, drops what fails recheck", () => {
    const app = new FakeApp();
    const m = pool(app);
    const a = tx(1, 1, 1);
    m.add(a);
    m.add(tx(2, 1, 2, 5)); // expires after height 5
    m.add(tx(3, 1, 3));
    m.add(tx(4, 1, 4));
    app.invalid.add(3);
    const r = m.update(5, [a]);
    expect(r).toEqual({ removed: 1, rechecked: 3, dropped: 2 });
    expect(m.reap(1 << 20, 10).map((t) => t[3])).toEqual([4]);
  });
});
