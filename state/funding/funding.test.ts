import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ALICE_1BTC_LONG_AT_50000,
  BOB_1BTC_SHORT_AT_50000,
  BTC_1,
  BTC_USD,
  market,
  USDC,
} from "../margin/fixtures.js";
import { equityQuantums } from "../margin/index.js";
import {
  addPremiumSample,
  EMPTY_FUNDING_LEDGER,
  FUNDING_INDEX_SCALE,
  type FundingLedger,
  type FundingTickRecord,
  fundingIntervalsElapsed,
  fundingLedgerConsistent,
  fundingPoolQuantums,
  fundingRatePpm,
  fundingTick,
  impactPrice,
  premiumSampleFromBook,
  premiumSamplePpm,
  recordSettlement,
  settleAccountFunding,
  settleFunding,
  sweepFundingDust,
} from "./index.js";

const HOUR_MS = 3_600_000;
const q = BTC_USD.quantumsPerTickLot;
const I = BTC_USD.impactNotionalQuantums; // $10,000

describe("premium samples", () => {
  it("impact bid walks levels best first; the last level fills continuously", () => {
    // 1,000 lots at 50,100 ($5,010) then $4,990 at 50,000 = 998 lots: 1,998 lots for $10,000.
    const bid = impactPrice(
      [
        [50_100, 1_000],
        [50_000, 10_000],
      ],
      I,
      q,
    );
    expect(bid).toEqual({ num: I * 50_000n, den: 1_000n * 50_000n * q + 4_990_000_000n });
  });

  it("bid above oracle: premium = (50,050.05 − 50,000) / 50,000 = 1,001.001 ppm → 1,001", () => {
    const bids: [number, number][] = [
      [50_100, 1_000],
      [50_000, 10_000],
    ];
    const asks: [number, number][] = [[50_060, 100_000]];
    expect(premiumSampleFromBook(bids, asks, 50_000n, I, q)).toBe(1_001n);
  });

  it("ask below oracle gives a negative premium (toward zero)", () => {
    expect(premiumSampleFromBook([], [[49_900, 100_000]], 50_000n, I, q)).toBe(-2_000n);
    // Ask 49,999.99…: 1/3 lot rounding never overstates: −(1/3)/50,000 × 10^6 = −6.67 → −6.
    expect(premiumSamplePpm(undefined, { num: 149_999n, den: 3n }, 50_000n)).toBe(-6n);
  });

  it("a side that cannot fill the impact notional contributes 0", () => {
    // $5,010 of bids at 50,100 is less than $10,000: no impact bid.
    expect(impactPrice([[50_100, 1_000]], I, q)).toBeUndefined();
    expect(premiumSampleFromBook([[50_100, 1_000]], [], 50_000n, I, q)).toBe(0n);
    expect(premiumSampleFromBook([], [], 50_000n, I, q)).toBe(0n);
  });

  it("a book straddling the oracle gives 0", () => {
    expect(premiumSampleFromBook([[49_990, 100_000]], [[50_010, 100_000]], 50_000n, I, q)).toBe(0n);
  });
});

describe("funding rate", () => {
  it("is the truncated mean of samples plus the baseline", () => {
    expect(fundingRatePpm(BTC_USD, 600n, 3)).toBe(200n);
    expect(fundingRatePpm(BTC_USD, -301n, 2)).toBe(-150n); // −150.5 → −150
    expect(fundingRatePpm({ ...BTC_USD, fundingBaselinePpm: 100n }, 0n, 0)).toBe(100n);
  });

  it("is clamped to ± clamp × (IMF − MMF) = 6 × 2 % = 12 % per interval", () => {
    expect(fundingRatePpm(BTC_USD, 10n ** 9n, 1)).toBe(120_000n);
    expect(fundingRatePpm(BTC_USD, -(10n ** 9n), 1)).toBe(-120_000n);
  });

  it("counts whole intervals of block time", () => {
    expect(fundingIntervalsElapsed(0, HOUR_MS - 1, 3600)).toBe(0);
    expect(fundingIntervalsElapsed(0, HOUR_MS, 3600)).toBe(1);
    expect(fundingIntervalsElapsed(0, 3 * HOUR_MS + 5, 3600)).toBe(3);
    expect(fundingIntervalsElapsed(10, 5, 3600)).toBe(0);
  });
});

describe("funding over two intervals (positive then negative rate)", () => {
  // Interval 1: samples 100, 200, 300 ppm → rate +200 ppm at $50,000:
  //   index += 200 × 50,000 × 100 = 10^9 → a 1 BTC long pays 10,000 × 10^9 / 10^6 = $10.
  // Interval 2: samples −150, −151 → rate −150 ppm at $50,001:
  //   index += −150 × 50,001 × 100 = −750,015,000.
  let btc = market(BTC_USD, 50_000n, { lastFundingTimeMs: 0 });
  const ticks: (FundingTickRecord | undefined)[] = [];
  for (const s of [100n, 200n, 300n]) btc = { ...btc, state: addPremiumSample(btc.state, s) };
  const beforeBoundary = fundingTick(btc, HOUR_MS - 1);
  let t = fundingTick(btc, HOUR_MS + 1234);
  ticks.push(t.record);
  btc = { ...btc, state: { ...t.state, oraclePriceTicks: 50_001n } };
  for (const s of [-150n, -151n]) btc = { ...btc, state: addPremiumSample(btc.state, s) };
  t = fundingTick(btc, 2 * HOUR_MS);
  ticks.push(t.record);
  btc = { ...btc, state: t.state };

  it("does nothing before the boundary", () => {
    expect(beforeBoundary.record).toBeUndefined();
    expect(beforeBoundary.state.premiumSampleCount).toBe(3);
  });

  it("moves the index by rate × oracle × quantumsPerTickLot and stays on the hour grid", () => {
    expect(ticks.map((r) => r?.ratePpm)).toEqual([200n, -150n]);
    expect(ticks[0]?.indexAfter).toBe(1_000_000_000n);
    expect(btc.state.cumulativeFundingIndex).toBe(1_000_000_000n - 750_015_000n);
    expect(btc.state.lastFundingTimeMs).toBe(2 * HOUR_MS);
    expect(btc.state.premiumSampleCount).toBe(0);
    expect(btc.state.lastFundingRatePpm).toBe(-150n);
  });

  it("interval 1: the long pays $10, the short receives $10", () => {
    const long = settleFunding(BTC_1, 0n, 1_000_000_000n);
    const short = settleFunding(-BTC_1, 0n, 1_000_000_000n);
    expect(long.quoteDeltaQuantums).toBe(-10n * USDC);
    expect(short.quoteDeltaQuantums).toBe(10n * USDC);
    expect(ALICE_1BTC_LONG_AT_50000.positions[0].fundingIndex).toBe(0n);
    expect(BOB_1BTC_SHORT_AT_50000.positions[0].fundingIndex).toBe(0n);
  });

  it("interval 2: rounding goes against the payer (short pays 2,251, long gets 2,250)", () => {
    // 3 lots × 750,015,000 / 10^6 = 2,250.045 quantums.
    const from = 1_000_000_000n;
    const to = btc.state.cumulativeFundingIndex;
    const long = settleFunding(3n, from, to);
    const short = settleFunding(-3n, from, to);
    expect(long.quoteDeltaQuantums).toBe(2_250n);
    expect(short.quoteDeltaQuantums).toBe(-2_251n);
    let ledger = recordSettlement(recordSettlement(EMPTY_FUNDING_LEDGER, long), short);
    expect(ledger.paidQuantums).toBe(ledger.receivedQuantums + 1n); // paid = received + dust
    expect(ledger.dustScaled).toBe(FUNDING_INDEX_SCALE);
    expect(fundingLedgerConsistent(ledger)).toBe(true);
    const swept = sweepFundingDust(ledger);
    expect(swept.toInsuranceQuantums).toBe(1n);
    ledger = swept.ledger;
    expect(fundingPoolQuantums(ledger)).toBe(0n);
    expect(fundingLedgerConsistent(ledger)).toBe(true);
  });

  it("after a halt of several intervals the rate applies once and the grid is kept", () => {
    const r = fundingTick(market(BTC_USD, 50_000n, { lastFundingTimeMs: 0 }), 5 * HOUR_MS + 7);
    expect(r.record?.intervals).toBe(5);
    expect(r.state.lastFundingTimeMs).toBe(5 * HOUR_MS);
    expect(r.state.cumulativeFundingIndex).toBe(0n); // no samples, baseline 0
  });
});

describe("property: funding never mints", () => {
  // Random positions summing to zero (a market's longs equal its shorts), settled lazily at
  // random moments while the index moves; every position settles before its size changes.
  const scenario = fc.record({
    sizes: fc.array(fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n }), {
      minLength: 1,
      maxLength: 12,
    }),
    steps: fc.array(
      fc.record({
        delta: fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
        settleMask: fc.array(fc.boolean(), { minLength: 13, maxLength: 13 }),
      }),
      { minLength: 1, maxLength: 8 },
    ),
  });

  it("Σ paid ≥ Σ received, the difference is the dust, the pool never ends negative", () => {
    fc.assert(
      fc.property(scenario, ({ sizes, steps }) => {
        const sum = sizes.reduce((a, b) => a + b, 0n);
        const all = [...sizes, -sum].filter((s) => s !== 0n);
        fc.pre(all.length > 0);
        const idx = all.map(() => 0n);
        let index = 0n;
        let ledger: FundingLedger = EMPTY_FUNDING_LEDGER;
        for (const step of steps) {
          index += step.delta;
          all.forEach((size, i) => {
            if (!step.settleMask[i]) return;
            ledger = recordSettlement(ledger, settleFunding(size, idx[i], index));
            idx[i] = index;
          });
          expect(fundingLedgerConsistent(ledger)).toBe(true);
          const s = sweepFundingDust(ledger);
          expect(s.toInsuranceQuantums >= 0n).toBe(true);
          ledger = s.ledger;
        }
        all.forEach((size, i) => {
          ledger = recordSettlement(ledger, settleFunding(size, idx[i], index));
        });
        expect(ledger.netExactScaled).toBe(0n);
        expect(ledger.paidQuantums >= ledger.receivedQuantums).toBe(true);
        // Every settlement loses < 1 quantum to rounding.
        const settlements = BigInt(all.length * (steps.length + 1));
        expect(ledger.paidQuantums - ledger.receivedQuantums < settlements).toBe(true);
        expect(fundingLedgerConsistent(ledger)).toBe(true);
        const final = sweepFundingDust(ledger).ledger;
        expect(fundingPoolQuantums(final)).toBe(0n);
        expect(final.dustScaled < FUNDING_INDEX_SCALE).toBe(true);
      }),
    );
  });
});

describe("settling a whole account", () => {
  it("moves funding into the quote balance and equity does not change", () => {
    const markets = new Map([
      ["BTC-USD", market(BTC_USD, 50_000n, { cumulativeFundingIndex: 1_000_000_001n })],
    ]);
    const before = equityQuantums(ALICE_1BTC_LONG_AT_50000, markets);
    const r = settleAccountFunding(ALICE_1BTC_LONG_AT_50000, markets);
    // 10,000 lots × 1,000,000,001 / 10^6 = 10,000,000.01 → pays 10,000,001.
    expect(r.account.quoteBalance).toBe(ALICE_1BTC_LONG_AT_50000.quoteBalance - 10_000_001n);
    expect(r.account.positions[0].fundingIndex).toBe(1_000_000_001n);
    expect(r.settlements).toHaveLength(1);
    expect(equityQuantums(r.account, markets)).toBe(before);
    expect(settleAccountFunding(r.account, markets).settlements).toHaveLength(0);
  });
});
