/**
 * Crash and restart at every durable step: before/after a WAL write, before/after the
 * signer saves its state, after the block is saved and after the app committed (during the
 * commit). The node restarts from its WAL, signer state, block store and app disk; the
 * checker watches the wire for double signing. Also: the whole cluster crashing at once.
 */
import { describe, expect, it } from "vitest";
import { CRASH_POINTS, Simulation } from "./harness.js";

describe("simulator: crash and restart", () => {
  it.each(CRASH_POINTS)("crash at %s recovers without double signing", async (point) => {
    for (const countdown of [1, 4, 9]) {
      const sim = new Simulation({ validators: 4, seed: countdown, targetHeight: 1000 });
      await sim.start();
      const v1 = sim.node("v1");
      sim.armCrash(v1, point, countdown);
      const ok = await sim.runUntil(
        () => v1.crashes > 0 && sim.heightOf("v1") >= 12 && sim.canonicalHeight >= 12,
        120_000,
      );
      expect(ok).toBe(true);
      const r = sim.result();
      expect(r.doubleSigns).toBe(0);
      expect(r.violations).toEqual([]);
    }
  });

  it("repeated crashes of the proposer at signer steps never double sign", async () => {
    const sim = new Simulation({ validators: 4, seed: 21, targetHeight: 1000 });
    await sim.start();
    for (let i = 0; i < 8; i++) {
      const node = sim.nodes[i % 4];
      sim.armCrash(node, i % 2 === 0 ? "signer:afterSave" : "wal:beforeWrite", 1 + (i % 3));
      await sim.runFor(3_000);
    }
    await sim.runFor(5_000);
    const r = sim.result();
    expect(r.crashes).toBeGreaterThanOrEqual(6);
    expect(r.doubleSigns).toBe(0);
    expect(r.violations).toEqual([]);
    expect(r.heights).toBeGreaterThan(10);
  });

  it("the whole cluster crashes at once and restarts from its WALs", async () => {
    const sim = new Simulation({ validators: 4, seed: 22, targetHeight: 1000 });
    await sim.start();
    for (let k = 0; k < 3; k++) {
      await sim.runFor(1_337 + k * 211);
      for (const n of sim.nodes) sim.crashNode(n, true);
    }
    const h = sim.canonicalHeight;
    expect(await sim.runUntil(() => sim.canonicalHeight >= h + 10, 60_000)).toBe(true);
    const r = sim.result();
    expect(r.doubleSigns).toBe(0);
    expect(r.violations).toEqual([]);
  });
});
