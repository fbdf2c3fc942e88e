import { describe, expect, it } from "vitest";
import { utf8 } from "../../lib/bytes.js";
import {
  applyValidatorUpdates,
  hasOneThird,
  hasTwoThirds,
  incrementProposerPriority,
  newValidatorSet,
  proposerForRound,
  validatorSetWithAddresses,
} from "./validatorSet.js";

const FOO_BAR_BAZ = [
  { address: utf8("foo"), pubKey: new Uint8Array(32), power: 1000 },
  { address: utf8("bar"), pubKey: new Uint8Array(32), power: 300 },
  { address: utf8("baz"), pubKey: new Uint8Array(32), power: 330 },
];

// CometBFT types/validator_set_test.go TestProposerSelection1.
const COMETBFT_EXPECTED =
  "foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar foo foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar foo baz foo foo bar foo baz foo foo bar foo baz foo foo foo baz bar foo foo foo baz foo bar foo foo baz foo bar foo foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar foo baz foo foo bar foo baz foo foo";

describe("proposer priority (CometBFT weighted round robin)", () => {
  it("matches CometBFT's TestProposerSelection1 sequence", () => {
    let set = validatorSetWithAddresses(FOO_BAR_BAZ);
    const names: string[] = [];
    for (let i = 0; i < 99; i++) {
      names.push(new TextDecoder().decode(set.validators[set.proposerIndex].address));
      set = incrementProposerPriority(set, 1);
    }
    expect(names.join(" ")).toBe(COMETBFT_EXPECTED);
  });

  it("gives each validator proposer slots in proportion to its power", () => {
    const keys = [1, 2, 3, 4].map((i) => new Uint8Array(32).fill(i));
    let set = newValidatorSet(keys.map((pubKey, i) => ({ pubKey, power: (i + 1) * 10 })));
    const counts = new Map<number, number>();
    for (let i = 0; i < 100; i++) {
      const p = set.validators[set.proposerIndex];
      counts.set(p.power, (counts.get(p.power) ?? 0) + 1);
      set = incrementProposerPriority(set, 1);
    }
    expect(counts.get(10)).toBe(10);
    expect(counts.get(40)).toBe(40);
  });

  it("proposerForRound(r) equals r increments and is deterministic", () => {
    const set = validatorSetWithAddresses(FOO_BAR_BAZ);
    const a = proposerForRound(set, 5);
    const b = incrementProposerPriority(set, 5);
    expect(a.address).toEqual(b.validators[b.proposerIndex].address);
    expect(proposerForRound(set, 0).address).toEqual(set.validators[set.proposerIndex].address);
  });

  it("thresholds are strict: > 2/3 and > 1/3", () => {
    expect(hasTwoThirds(2, 3)).toBe(false);
    expect(hasTwoThirds(3, 4)).toBe(true);
    expect(hasOneThird(1, 3)).toBe(false);
    expect(hasOneThird(2, 4)).toBe(true);
  });
});

describe("validator updates (CometBFT UpdateWithChangeSet)", () => {
  const key = (i: number) => new Uint8Array(32).fill(i);
  const base = newValidatorSet([1, 2, 3].map((i) => ({ pubKey: key(i), power: 10 })));

  it("adds a newcomer at -1.125 × the new total, updates power, removes with power 0", () => {
    const added = applyValidatorUpdates(base, [{ pubKey: key(4), power: 10 }]);
    expect(added.validators.length).toBe(4);
    expect(added.totalPower).toBe(40);
    const newcomer = added.validators.find((v) => v.pubKey[0] === 4)!;
    // Lowest priority of the set: it waits its turn rather than proposing at once.
    expect(Math.min(...added.validators.map((v) => v.proposerPriority))).toBe(
      newcomer.proposerPriority,
    );
    const changed = applyValidatorUpdates(added, [
      { pubKey: key(1), power: 30 },
      { pubKey: key(2), power: 0 },
    ]);
    expect(changed.validators.length).toBe(3);
    expect(changed.totalPower).toBe(50);
    const sum = changed.validators.reduce((a, v) => a + v.proposerPriority, 0);
    expect(Math.abs(sum)).toBeLessThan(changed.validators.length); // centred
  });

  it("rejects removing an unknown validator, duplicates, negative power and an empty set", () => {
    expect(() => applyValidatorUpdates(base, [{ pubKey: key(9), power: 0 }])).toThrow();
    expect(() =>
      applyValidatorUpdates(base, [
        { pubKey: key(1), power: 5 },
        { pubKey: key(1), power: 6 },
      ]),
    ).toThrow();
    expect(() => applyValidatorUpdates(base, [{ pubKey: key(1), power: -1 }])).toThrow();
    expect(() =>
      applyValidatorUpdates(
        base,
        [1, 2, 3].map((i) => ({ pubKey: key(i), power: 0 })),
      ),
    ).toThrow();
  });
});
