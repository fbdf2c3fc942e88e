/**
 * Safety and liveness under benign faults: fault-free runs, lossy/duplicating/reordering
 * links, 50/50 partition (no progress, then recovery), ring and isolated-node partitions
 * that heal, clock skew, determinism of a seed, and a short run with real ed25519.
 */
import { describe, expect, it } from "vitest";
import { ed25519Scheme } from "../../consensus/crypto.js";
import { toHex } from "../../lib/bytes.js";
import { Simulation } from "./harness.js";

describe("simulator: safety and liveness", () => {
  it.each([1, 2, 3])("4 validators, no faults, seed %i: commits in round 0", async (seed) => {
    const r = await new Simulation({ validators: 4, seed, targetHeight: 40 }).run();
    expect(r.violations).toEqual([]);
    expect(r.forks).toBe(0);
    expect(r.heights).toBe(40);
    expect(r.maxRoundsPerHeight).toBe(1);
  });

  it("1 and 7 validators make progress", async () => {
    for (const validators of [1, 7]) {
      const r = await new Simulation({ validators, seed: 5, targetHeight: 20 }).run();
      expect(r.violations).toEqual([]);
      expect(r.heights).toBe(20);
    }
  });

  it("the same seed replays the same run", async () => {
    const opts = { validators: 4, seed: 11, targetHeight: 40, twins: [0], chaos: true };
    const a = await new Simulation(opts).run();
    const b = await new Simulation(opts).run();
    expect(a).toEqual(b);
  });

  it("lossy links (20% drop, 10% duplicates, 1-200 ms jitter) keep committing", async () => {
    for (const seed of [1, 2]) {
      const r = await new Simulation({
        validators: 4,
        seed,
        targetHeight: 30,
        links: { dropRate: 0.2, dupRate: 0.1, minDelayMs: 1, maxDelayMs: 200 },
      }).run();
      expect(r.violations).toEqual([]);
      expect(r.heights).toBe(30);
    }
  });

  it("a 50/50 partition commits nothing, then resumes after healing", async () => {
    const sim = new Simulation({ validators: 4, seed: 3, targetHeight: 1000 });
    await sim.start();
    await sim.runUntil(() => sim.canonicalHeight >= 5, 60_000);
    sim.partition([
      ["v0", "v1"],
      ["v2", "v3"],
    ]);
    await sim.runFor(2_000); // let in-flight messages land
    const stuckAt = sim.canonicalHeight;
    await sim.runFor(20_000);
    expect(sim.canonicalHeight).toBe(stuckAt);
    sim.heal();
    expect(await sim.runUntil(() => sim.canonicalHeight >= stuckAt + 10, 120_000)).toBe(true);
    expect(sim.result().violations).toEqual([]);
  });

  it("an isolated node falls behind, the rest continue, and it catches up by block sync", async () => {
    const sim = new Simulation({ validators: 4, seed: 4, targetHeight: 1000 });
    await sim.start();
    sim.partition([["v3"], ["v0", "v1", "v2"]]);
    await sim.runUntil(() => sim.canonicalHeight >= 20, 60_000);
    expect(sim.heightOf("v3")).toBe(0);
    sim.heal();
    const target = sim.canonicalHeight + 5;
    expect(await sim.runUntil(() => sim.heightOf("v3") >= target, 60_000)).toBe(true);
    expect(sim.node("v3").driver!.stats.syncedBlocks).toBeGreaterThan(0);
    expect(sim.result().violations).toEqual([]);
  });

  it("block sync rejects a forged commit and a block that does not extend our chain", async () => {
    const sim = new Simulation({ validators: 4, seed: 14, targetHeight: 1000 });
    await sim.start();
    sim.partition([["v3"], ["v0", "v1", "v2"]]);
    await sim.runUntil(() => sim.canonicalHeight >= 5, 60_000);
    const good = sim.node("v0").blockStore.load(1)!;
    const v3 = sim.node("v3").driver!;
    // Two of four signatures: not +2/3.
    const weak = { ...good.commit, sigs: good.commit.sigs.slice(0, 2) };
    expect(await v3.applySyncedBlock(good.block, weak)).toBe(false);
    // A valid commit, but for block 2 offered as the next block of height 0.
    const two = sim.node("v0").blockStore.load(2)!;
    expect(await v3.applySyncedBlock(two.block, two.commit)).toBe(false);
    expect(sim.heightOf("v3")).toBe(0);
    expect(await v3.applySyncedBlock(good.block, good.commit)).toBe(true);
    expect(await v3.applySyncedBlock(two.block, two.commit)).toBe(true);
    expect(sim.heightOf("v3")).toBe(2);
    expect(sim.result().violations).toEqual([]);
  });

  it("a ring partition heals without a fork", async () => {
    const sim = new Simulation({ validators: 5, seed: 6, targetHeight: 1000 });
    await sim.start();
    sim.ring();
    await sim.runFor(15_000);
    sim.heal();
    const h = sim.canonicalHeight;
    expect(await sim.runUntil(() => sim.canonicalHeight >= h + 10, 120_000)).toBe(true);
    expect(sim.result().violations).toEqual([]);
  });

  it("clock skew of one validator (+1 h) does not move BFT time", async () => {
    const sim = new Simulation({
      validators: 4,
      seed: 8,
      targetHeight: 20,
      skewMs: { 1: 3_600_000 },
    });
    const r = await sim.run();
    expect(r.violations).toEqual([]);
    expect(r.heights).toBe(20);
    let prev = 0;
    expect(sim.heightOf("v0")).toBeGreaterThanOrEqual(19);
    for (let h = 1; h <= sim.heightOf("v0"); h++) {
      const t = sim.node("v0").blockStore.load(h)!.block.header.timeMs;
      expect(t).toBeGreaterThan(prev);
      // within a second of the honest clocks' virtual time
      expect(t).toBeLessThan(1_700_000_000_000 + sim.sched.now + 1000);
      prev = t;
    }
  });

  it("runs with real ed25519 signatures", async () => {
    const r = await new Simulation({
      validators: 4,
      seed: 9,
      targetHeight: 8,
      scheme: ed25519Scheme,
    }).run();
    expect(r.violations).toEqual([]);
    expect(r.heights).toBe(8);
  });
});

describe("simulator: validator set changes", () => {
  it("a validator added at height 3 signs from height 5; one removed at 8 stops at 10", async () => {
    const sim = new Simulation({
      validators: 4,
      observers: 1,
      seed: 12,
      targetHeight: 20,
      validatorUpdates: { 3: [{ key: 4, power: 10 }], 8: [{ key: 0, power: 0 }] },
    });
    const r = await sim.run();
    expect(r.violations).toEqual([]);
    expect(r.heights).toBe(20);
    const store = sim.node("v1").blockStore;
    const hashAt = (h: number) => toHex(store.load(h)!.block.header.validatorsHash);
    // Updates of height h take effect at h + 2.
    expect(hashAt(4)).toBe(hashAt(1));
    expect(hashAt(5)).not.toBe(hashAt(4));
    expect(hashAt(9)).toBe(hashAt(5));
    expect(hashAt(10)).not.toBe(hashAt(9));
    expect(hashAt(19)).toBe(hashAt(10));
    // 5 validators at 5..9 (4 signatures needed), 4 again from 10 on.
    for (let h = 5; h <= 9; h++)
      expect(store.load(h)!.commit.sigs.length).toBeGreaterThanOrEqual(4);
    for (let h = 10; h <= 19; h++)
      expect(store.load(h)!.commit.sigs.every((x) => x.validatorIndex < 4)).toBe(true);
    // The newcomer (not in genesis) proposes after joining; the removed v0 no longer votes.
    const genesisProposers = new Set(
      [1, 2, 3, 4].map((h) => toHex(store.load(h)!.block.header.proposerAddress)),
    );
    const later = [10, 11, 12, 13, 14, 15].map((h) =>
      toHex(store.load(h)!.block.header.proposerAddress),
    );
    expect(later.some((a) => !genesisProposers.has(a))).toBe(true);
    expect(sim.node("v0").driver!.state.myIndex).toBe(-1);
    // The follower tracked the chain before it was a validator.
    expect(sim.heightOf("v4")).toBeGreaterThanOrEqual(19);
  });

  it.each(["commit:afterBlockSave", "commit:afterAppCommit"] as const)(
    "a crash at %s of the height that changes the set recovers the right sets",
    async (point) => {
      const sim = new Simulation({
        validators: 4,
        observers: 1,
        seed: 13,
        targetHeight: 1000,
        validatorUpdates: { 3: [{ key: 4, power: 10 }], 8: [{ key: 0, power: 0 }] },
      });
      await sim.start();
      for (const [id, countdown] of [
        ["v1", 3],
        ["v2", 8],
      ] as const) {
        sim.armCrash(sim.node(id), point, countdown);
      }
      const ok = await sim.runUntil(
        () => sim.heightOf("v1") >= 15 && sim.heightOf("v2") >= 15 && sim.node("v2").crashes > 0,
        120_000,
      );
      expect(ok).toBe(true);
      expect(sim.node("v1").crashes).toBeGreaterThan(0);
      expect(sim.result().violations).toEqual([]);
    },
  );
});
