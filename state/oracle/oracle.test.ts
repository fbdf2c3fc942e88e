import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ExtendedCommitInfo, ExtendedVoteInfo } from "../../lib/abci.js";
import { encode } from "../../lib/cbor.js";
import { ErrorCode, PerpetuaError } from "../../lib/errors.js";
import { BTC_USD, ETH_USD, market } from "../margin/fixtures.js";
import {
  aggregateOracle,
  applyOracleOutcome,
  decodeExtension,
  encodeExtension,
  feedPriceToTicks,
  isStale,
  MAX_EXTENSION_BYTES,
  type OraclePrice,
  oraclePricesFromFeed,
  weightedMedianTicks,
} from "./index.js";

const KNOWN = ["BTC-USD", "ETH-USD"];

function codeOf(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    if (e instanceof PerpetuaError) return e.code;
    throw e;
  }
  throw new Error("expected a PerpetuaError");
}

describe("vote extension codec", () => {
  const prices: OraclePrice[] = [
    { market: "ETH-USD", priceTicks: 300_000n },
    { market: "BTC-USD", priceTicks: 50_000n },
  ];

  it("round-trips, sorted by market id, as canonical CBOR", () => {
    const bytes = encodeExtension(prices, KNOWN);
    expect(bytes).toEqual(
      encode([
        ["BTC-USD", 50_000],
        ["ETH-USD", 300_000],
      ]),
    );
    expect(decodeExtension(bytes, KNOWN)).toEqual([prices[1], prices[0]]);
    expect(decodeExtension(encodeExtension([], KNOWN), KNOWN)).toEqual([]);
  });

  it("carries prices up to 2^64 − 1 ticks", () => {
    const big = [{ market: "BTC-USD", priceTicks: (1n << 64n) - 1n }];
    expect(decodeExtension(encodeExtension(big, KNOWN), KNOWN)).toEqual(big);
  });

  it("refuses to encode what peers would reject", () => {
    expect(codeOf(() => encodeExtension([{ market: "DOGE-USD", priceTicks: 1n }], KNOWN))).toBe(
      ErrorCode.UNKNOWN_MARKET,
    );
    expect(codeOf(() => encodeExtension([{ market: "BTC-USD", priceTicks: 0n }], KNOWN))).toBe(
      ErrorCode.INVALID_PRICE,
    );
    const dup = [prices[1], { ...prices[1], priceTicks: 1n }];
    expect(codeOf(() => encodeExtension(dup, KNOWN))).toBe(ErrorCode.NON_CANONICAL);
  });

  const bad: [string, Uint8Array, number][] = [
    ["empty bytes", new Uint8Array(0), ErrorCode.MALFORMED],
    ["not CBOR", new Uint8Array([0xff, 0x00]), ErrorCode.MALFORMED],
    ["a map instead of a list", encode({ "BTC-USD": 1 }), ErrorCode.MALFORMED],
    ["a triple", encode([["BTC-USD", 1, 2]]), ErrorCode.MALFORMED],
    ["a string price", encode([["BTC-USD", "50000"]]), ErrorCode.MALFORMED],
    ["a negative price", encode([["BTC-USD", -1]]), ErrorCode.INVALID_PRICE],
    ["a zero price", encode([["BTC-USD", 0]]), ErrorCode.INVALID_PRICE],
    ["an unknown market", encode([["DOGE-USD", 1]]), ErrorCode.UNKNOWN_MARKET],
    [
      "unsorted markets",
      encode([
        ["ETH-USD", 1],
        ["BTC-USD", 1],
      ]),
      ErrorCode.NON_CANONICAL,
    ],
    [
      "a duplicate market",
      encode([
        ["BTC-USD", 1],
        ["BTC-USD", 2],
      ]),
      ErrorCode.NON_CANONICAL,
    ],
    // [["BTC-USD", 1]] with the 1 written in two bytes (0x18 0x01): not the shortest form.
    [
      "a non-minimal integer",
      new Uint8Array([0x81, 0x82, 0x67, ...new TextEncoder().encode("BTC-USD"), 0x18, 0x01]),
      ErrorCode.MALFORMED,
    ],
    ["trailing bytes", new Uint8Array([...encode([]), 0x00]), ErrorCode.MALFORMED],
    ["more than 4 KiB", new Uint8Array(MAX_EXTENSION_BYTES + 1), ErrorCode.TOO_LARGE],
    [
      "more than 64 markets",
      encode(Array.from({ length: 65 }, (_, i) => [`M${100 + i}-USD`, 1])),
      ErrorCode.TOO_LARGE,
    ],
  ];
  for (const [name, bytes, code] of bad) {
    it(`rejects ${name}`, () => {
      const c = codeOf(() => decodeExtension(bytes, KNOWN));
      // Strict CBOR may classify a non-minimal form as malformed or non-canonical.
      if (code === ErrorCode.MALFORMED) {
        expect([ErrorCode.MALFORMED, ErrorCode.NON_CANONICAL]).toContain(c);
      } else {
        expect(c).toBe(code);
      }
    });
  }
});

describe("stake-weighted median", () => {
  it("4 validators of power 40/10/30/20: first price where 2 × cumulative ≥ total", () => {
    // Sorted: 99 (40), 100 (10), 101 (30), 102 (20); total 100. 2 × 40 < 100, 2 × 50 ≥ 100.
    const r = [
      { priceTicks: 100n, power: 10n },
      { priceTicks: 102n, power: 20n },
      { priceTicks: 101n, power: 30n },
      { priceTicks: 99n, power: 40n },
    ];
    expect(weightedMedianTicks(r)).toBe(100n);
    // With 99 at power 61 of 121, it alone is more than half.
    expect(weightedMedianTicks([...r.slice(0, 3), { priceTicks: 99n, power: 61n }])).toBe(99n);
    expect(weightedMedianTicks([])).toBeUndefined();
  });

  it("property: the median is a reported price, between min and max, and splits the power", () => {
    const report = fc.record({
      priceTicks: fc.bigInt({ min: 1n, max: 1000n }),
      power: fc.bigInt({ min: 1n, max: 1000n }),
    });
    fc.assert(
      fc.property(fc.array(report, { minLength: 1, maxLength: 30 }), (reports) => {
        const m = weightedMedianTicks(reports);
        if (m === undefined) throw new Error("no median");
        const ps = reports.map((r) => r.priceTicks);
        expect(ps).toContain(m);
        expect(ps.some((p) => p <= m) && ps.some((p) => p >= m)).toBe(true);
        let total = 0n;
        let atOrBelow = 0n;
        let below = 0n;
        for (const r of reports) {
          total += r.power;
          if (r.priceTicks <= m) atOrBelow += r.power;
          if (r.priceTicks < m) below += r.power;
        }
        expect(atOrBelow * 2n >= total).toBe(true);
        expect(below * 2n < total).toBe(true);
        // Order of the reports does not matter.
        expect(weightedMedianTicks([...reports].reverse())).toBe(m);
      }),
    );
  });
});

function validator(n: number, power: number) {
  return {
    address: new Uint8Array(20).fill(n),
    pubKey: new Uint8Array(32).fill(n),
    power,
  };
}

function vote(
  n: number,
  power: number,
  prices: OraclePrice[] | Uint8Array,
  committed = true,
): ExtendedVoteInfo {
  return {
    validator: validator(n, power),
    voteExtension: prices instanceof Uint8Array ? prices : encodeExtension(prices, KNOWN),
    extensionSignature: new Uint8Array(64),
    committed,
  };
}

function commit(votes: ExtendedVoteInfo[]): ExtendedCommitInfo {
  return { height: 41, round: 0, votes };
}

const btc = (p: bigint): OraclePrice[] => [{ market: "BTC-USD", priceTicks: p }];

describe("oracle aggregation", () => {
  // BTC at 100,000 ticks (minPriceChangePpm 1,000 = 0.1 %); ETH never reported.
  const BTC = market(BTC_USD, 100_000n);
  const ETH = market(ETH_USD, 300_000n);
  const FOUR_VALIDATORS = [
    vote(1, 10, btc(100_200n)),
    vote(2, 20, btc(100_400n)),
    vote(3, 30, btc(100_300n)),
    vote(4, 40, btc(99_000n)),
  ];

  it("4 validators of unequal power: the weighted median is written, with its explanation", () => {
    const agg = aggregateOracle(commit(FOUR_VALIDATORS), [ETH, BTC]);
    expect(agg.totalPower).toBe(100n);
    const [b, e] = agg.markets;
    expect(b.market).toBe("BTC-USD");
    expect(b.status).toBe("updated");
    // Sorted 99,000 (40), 100,200 (10), 100,300 (30): 2 × 50 ≥ 100 at 100,200.
    expect(b.medianPriceTicks).toBe(100_200n);
    expect(b.newPriceTicks).toBe(100_200n);
    expect(b.reportingPower).toBe(100n);
    expect(b.reports.map((r) => [r.validator.slice(0, 2), r.power])).toEqual([
      ["01", 10n],
      ["02", 20n],
      ["03", 30n],
      ["04", 40n],
    ]);
    expect(e).toMatchObject({ market: "ETH-USD", status: "insufficient_power", fresh: false });
    const next = applyOracleOutcome(BTC.state, b, 42);
    expect(next.oraclePriceTicks).toBe(100_200n);
    expect(next.oracleHeight).toBe(42);
    expect(applyOracleOutcome(ETH.state, e, 42)).toBe(ETH.state);
  });

  it("with more than 1/3 of the power missing: no update", () => {
    // Validator 4 (40 %) precommitted nil: 60 reported, 3 × 60 < 2 × 100.
    const votes = [...FOUR_VALIDATORS.slice(0, 3), vote(4, 40, new Uint8Array(0), false)];
    const agg = aggregateOracle(commit(votes), [BTC]);
    expect(agg.markets[0]).toMatchObject({
      status: "insufficient_power",
      reportingPower: 60n,
      newPriceTicks: 100_000n,
      fresh: false,
    });
    expect(agg.ignored).toEqual([{ validator: "04".repeat(20), reason: "not_committed" }]);
  });

  it("exactly 2/3 of the power is enough (inclusive)", () => {
    const votes = [
      vote(1, 1, btc(101_000n)),
      vote(2, 1, btc(101_000n)),
      vote(3, 1, btc(1n), false),
    ];
    expect(aggregateOracle(commit(votes), [BTC]).markets[0].status).toBe("updated");
  });

  it("a garbage extension is ignored and the others still count", () => {
    const votes = [...FOUR_VALIDATORS];
    votes[1] = vote(2, 20, new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
    const agg = aggregateOracle(commit(votes), [BTC]);
    // 80 of 100 reported; sorted 99,000 (40), 100,200 (10), 100,300 (30): 2 × 40 ≥ 80.
    expect(agg.markets[0]).toMatchObject({
      status: "updated",
      reportingPower: 80n,
      medianPriceTicks: 99_000n,
    });
    expect(agg.ignored).toHaveLength(1);
    expect(agg.ignored[0]).toMatchObject({
      validator: "02".repeat(20),
      reason: "invalid_extension",
    });
  });

  it("an extension naming an unknown market is ignored as a whole", () => {
    const evil = encode([
      ["BTC-USD", 1],
      ["DOGE-USD", 1],
    ]);
    const votes = [...FOUR_VALIDATORS.slice(0, 3), vote(4, 40, evil)];
    const agg = aggregateOracle(commit(votes), [BTC]);
    expect(agg.markets[0].reports.map((r) => r.power)).toEqual([10n, 20n, 30n]);
    expect(agg.markets[0].status).toBe("insufficient_power");
  });

  it("a validator listed twice counts once", () => {
    const votes = [...FOUR_VALIDATORS, vote(4, 40, btc(1n))];
    const agg = aggregateOracle(commit(votes), [BTC]);
    expect(agg.totalPower).toBe(100n);
    expect(agg.ignored).toEqual([{ validator: "04".repeat(20), reason: "duplicate" }]);
  });

  it("min price change: 0.099 % is kept (but fresh), 0.1 % is written", () => {
    const all = (p: bigint) => [1, 2, 3, 4].map((n) => vote(n, 25, btc(p)));
    const small = aggregateOracle(commit(all(100_099n)), [BTC]).markets[0];
    expect(small).toMatchObject({
      status: "below_min_change",
      newPriceTicks: 100_000n,
      fresh: true,
    });
    const next = applyOracleOutcome(BTC.state, small, 150);
    expect(next).toMatchObject({ oraclePriceTicks: 100_000n, oracleHeight: 150 });
    const enough = aggregateOracle(commit(all(99_900n)), [BTC]).markets[0];
    expect(enough).toMatchObject({ status: "updated", newPriceTicks: 99_900n });
  });
});

describe("staleness", () => {
  // maxOracleAgeBlocks = 5, price written at height 100.
  const BTC = market(BTC_USD, 50_000n, { oracleHeight: 100 });
  it("is fresh up to maxOracleAgeBlocks after the last report and stale after", () => {
    expect(isStale(BTC, 100)).toBe(false);
    expect(isStale(BTC, 105)).toBe(false);
    expect(isStale(BTC, 106)).toBe(true);
  });
});

describe("feed prices to ticks", () => {
  it("rounds to the nearest tick, half up, and skips what cannot be used", () => {
    const tick = ETH_USD.tickSize; // 0.01
    expect(feedPriceToTicks("3000", tick)).toBe(300_000n);
    expect(feedPriceToTicks("3000.004999", tick)).toBe(300_000n);
    expect(feedPriceToTicks("3000.005", tick)).toBe(300_001n);
    expect(feedPriceToTicks("0.004", tick)).toBeUndefined();
    expect(feedPriceToTicks("-1", tick)).toBeUndefined();
    expect(feedPriceToTicks("1e3", tick)).toBeUndefined();
    const prices = oraclePricesFromFeed(
      { "ETH-USD": "3000.01", "BTC-USD": "50000.4", "DOGE-USD": "0.1" },
      [ETH_USD, BTC_USD],
    );
    expect(prices).toEqual([
      { market: "BTC-USD", priceTicks: 50_000n },
      { market: "ETH-USD", priceTicks: 300_001n },
    ]);
    expect(decodeExtension(encodeExtension(prices, KNOWN), KNOWN)).toEqual(prices);
  });
});
