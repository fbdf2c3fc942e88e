import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PPM } from "../../lib/fixed.js";
import type { Account } from "../types/account.js";
import {
  ALICE,
  ALICE_1BTC_LONG_AT_50000,
  BOB_1BTC_SHORT_AT_50000,
  BTC_1,
  BTC_AT_50000,
  BTC_USD,
  CARL_1BTC_LONG_10ETH_SHORT,
  ETH_AT_3000,
  ETH_USD,
  lookup,
  MARKETS_AT_50000_3000,
  market,
  position,
  USDC,
} from "./fixtures.js";
import {
  accountRisk,
  bankruptcyPrice,
  compareLiquidationOrder,
  displayedCollateralQuantums,
  entryNotionalAfterFill,
  equityQuantums,
  freeCollateralQuantums,
  healthRatio,
  initialMarginFractionPpm,
  isLiquidatable,
  liquidationPriceTicks,
  marginRequirements,
  marginRequirementsScaled,
  notionalQuantums,
  openInterestDeltaLots,
  unrealizedPnlQuantums,
} from "./index.js";

/** Alice after buying `lots` more BTC at the oracle price of 50,000 with $10,000 collateral. */
function aliceAfterBuying(lots: bigint): Account {
  return {
    address: ALICE,
    quoteBalance: 10_000n * USDC - lots * 50_000n * BTC_USD.quantumsPerTickLot,
    positions: [position(BTC_USD, lots, 50_000n)],
  };
}

describe("notional and equity", () => {
  it("1 BTC at $50,000 is 50,000 USDC of notional, exactly", () => {
    expect(notionalQuantums(-BTC_1, 50_000n, BTC_USD.quantumsPerTickLot)).toBe(50_000n * USDC);
  });

  it("ALICE_1BTC_LONG_AT_50000: equity $10,000, IMR $2,500, MMR $1,500, free $7,500", () => {
    const r = accountRisk(ALICE_1BTC_LONG_AT_50000, MARKETS_AT_50000_3000);
    expect(r.equityQuantums).toBe(10_000n * USDC);
    expect(r.initialQuantums).toBe(2_500n * USDC);
    expect(r.maintenanceQuantums).toBe(1_500n * USDC);
    expect(r.freeCollateralQuantums).toBe(7_500n * USDC);
    expect(r.liquidatable).toBe(false);
  });

  it("equity follows the oracle: long at $45,000 has $5,000", () => {
    const markets = lookup(market(BTC_USD, 45_000n), ETH_AT_3000);
    expect(equityQuantums(ALICE_1BTC_LONG_AT_50000, markets)).toBe(5_000n * USDC);
    expect(equityQuantums(BOB_1BTC_SHORT_AT_50000, markets)).toBe(15_000n * USDC);
  });

  it("displayed collateral and unrealized PnL use the entry notional", () => {
    const a = ALICE_1BTC_LONG_AT_50000;
    expect(displayedCollateralQuantums(a.quoteBalance, a.positions)).toBe(10_000n * USDC);
    const p = a.positions[0];
    expect(unrealizedPnlQuantums(p.sizeLots, p.entryNotional, 51_000n, 100n)).toBe(1_000n * USDC);
  });

  it("equity includes unsettled funding, rounded against the account", () => {
    // The index rose by 1,000,001 (quantums per lot × 10^6) since Alice's last settlement:
    // she owes 10,000 × 1,000,001 / 10^6 = 10,000.01 quantums and pays 10,001.
    const markets = lookup(
      market(BTC_USD, 50_000n, { cumulativeFundingIndex: 1_000_001n }),
      ETH_AT_3000,
    );
    expect(equityQuantums(ALICE_1BTC_LONG_AT_50000, markets)).toBe(10_000n * USDC - 10_001n);
    expect(equityQuantums(BOB_1BTC_SHORT_AT_50000, markets)).toBe(10_000n * USDC + 10_000n);
  });
});

describe("opening a position against initial margin", () => {
  it("$10,000 opens exactly 4 BTC at 5 % IMF ($200,000 notional) and not one lot more", () => {
    const within = accountRisk(aliceAfterBuying(4n * BTC_1), MARKETS_AT_50000_3000);
    expect(within.initialQuantums).toBe(10_000n * USDC);
    expect(within.meetsInitial).toBe(true);
    expect(within.freeCollateralQuantums).toBe(0n);

    const over = accountRisk(aliceAfterBuying(4n * BTC_1 + 1n), MARKETS_AT_50000_3000);
    // 40,001 lots × 50,000 × 100 × 5 % = 10,000.25 USDC
    expect(over.initialQuantums).toBe(10_000_250_000n);
    expect(over.meetsInitial).toBe(false);
    expect(over.freeCollateralQuantums).toBe(-250_000n);
  });

  it("the same order fails when the market's open interest lifts the IMF", () => {
    // OI of 30 BTC at $50,000 = $1.5M, halfway between the caps: IMF = 5 % + 95 % / 2 = 52.5 %.
    const crowded = lookup(market(BTC_USD, 50_000n, { openInterestLots: 30n * BTC_1 }));
    const r = accountRisk(aliceAfterBuying(BTC_1), crowded);
    expect(r.initialQuantums).toBe(26_250n * USDC);
    expect(r.meetsInitial).toBe(false);
  });
});

describe("OI-scaled initial margin fraction", () => {
  const lower = BTC_USD.oiLowerCapQuantums; // $1M
  const upper = BTC_USD.oiUpperCapQuantums; // $2M

  it("is the base IMF up to and at the lower cap", () => {
    expect(initialMarginFractionPpm(BTC_USD, 0n)).toBe(50_000n);
    expect(initialMarginFractionPpm(BTC_USD, lower)).toBe(50_000n);
  });

  it("rises linearly between the caps, rounded up to a whole ppm", () => {
    expect(initialMarginFractionPpm(BTC_USD, (lower + upper) / 2n)).toBe(525_000n);
    expect(initialMarginFractionPpm(BTC_USD, lower + (upper - lower) / 4n)).toBe(287_500n);
    // One quantum over the lower cap: 950,000 / 10^12 ppm, rounded up to 1 ppm.
    expect(initialMarginFractionPpm(BTC_USD, lower + 1n)).toBe(50_001n);
  });

  it("is 100 % at and above the upper cap", () => {
    expect(initialMarginFractionPpm(BTC_USD, upper)).toBe(PPM);
    expect(initialMarginFractionPpm(BTC_USD, upper * 10n)).toBe(PPM);
  });

  it("is never scaled when the upper cap is 0", () => {
    expect(initialMarginFractionPpm(ETH_USD, 10n ** 18n)).toBe(ETH_USD.initialMarginPpm);
  });

  it("property: ppm value is the exact rational rounded up (≥ exact, < exact + 1)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: lower + 1n, max: upper - 1n }), (oi) => {
        const ppm = initialMarginFractionPpm(BTC_USD, oi);
        // exact = IMF + (10^6 − IMF)(oi − lower)/(upper − lower), compared multiplied out.
        const d = upper - lower;
        const exactTimesD = BTC_USD.initialMarginPpm * d + (PPM - 50_000n) * (oi - lower);
        expect(ppm * d >= exactTimesD).toBe(true);
        expect((ppm - 1n) * d < exactTimesD).toBe(true);
      }),
    );
  });
});

describe("requirements", () => {
  it("CARL_1BTC_LONG_10ETH_SHORT: IMR $5,500, MMR $3,000 across two markets", () => {
    const r = marginRequirements(CARL_1BTC_LONG_10ETH_SHORT.positions, MARKETS_AT_50000_3000);
    expect(r.initialQuantums).toBe(5_500n * USDC);
    expect(r.maintenanceQuantums).toBe(3_000n * USDC);
    expect(freeCollateralQuantums(CARL_1BTC_LONG_10ETH_SHORT, MARKETS_AT_50000_3000)).toBe(
      14_500n * USDC,
    );
  });

  it("rounds up: 1 lot of ETH at 1 tick needs 1 quantum, not 0", () => {
    const markets = lookup(market(ETH_USD, 1n));
    const r = marginRequirements([position(ETH_USD, 1n, 1n)], markets);
    // N = 10 quantums; IMR = 10 × 10 % = 1, MMR = 10 × 5 % = 0.5 → 1.
    expect(r).toEqual({ initialQuantums: 1n, maintenanceQuantums: 1n });
  });

  it("property: IMR and MMR are ≥ the exact rational value and < exact + 1", () => {
    const pos = fc.record({
      btc: fc.bigInt({ min: -(10n ** 7n), max: 10n ** 7n }),
      eth: fc.bigInt({ min: -(10n ** 7n), max: 10n ** 7n }),
      btcPrice: fc.bigInt({ min: 1n, max: 10n ** 7n }),
      ethPrice: fc.bigInt({ min: 1n, max: 10n ** 9n }),
      oi: fc.bigInt({ min: 0n, max: 10n ** 7n }),
    });
    fc.assert(
      fc.property(pos, ({ btc, eth, btcPrice, ethPrice, oi }) => {
        const markets = lookup(
          market(BTC_USD, btcPrice, { openInterestLots: oi }),
          market(ETH_USD, ethPrice),
        );
        const positions = [
          ...(btc !== 0n ? [position(BTC_USD, btc, 1n)] : []),
          ...(eth !== 0n ? [position(ETH_USD, eth, 1n)] : []),
        ];
        const r = marginRequirements(positions, markets);
        const exact = marginRequirementsScaled(positions, markets);
        expect(r.initialQuantums * PPM >= exact.initialScaled).toBe(true);
        expect((r.initialQuantums - 1n) * PPM < exact.initialScaled).toBe(true);
        expect(r.maintenanceQuantums * PPM >= exact.maintenanceScaled).toBe(true);
        expect((r.maintenanceQuantums - 1n) * PPM < exact.maintenanceScaled).toBe(true);
        expect(r.initialQuantums >= r.maintenanceQuantums).toBe(true);
      }),
    );
  });
});

describe("liquidation price", () => {
  it("long 1 BTC with $10,000: 40,000 / 0.97 = 41,237.11 → 41,238 (rounded up, warns earlier)", () => {
    const a = ALICE_1BTC_LONG_AT_50000;
    expect(liquidationPriceTicks(a, a.positions[0], MARKETS_AT_50000_3000)).toBe(41_238n);
    // Check the meaning: liquidatable just below the exact price, not at the rounded one.
    const at = (p: bigint) => accountRisk(a, lookup(market(BTC_USD, p))).liquidatable;
    expect(at(41_238n)).toBe(false);
    expect(at(41_237n)).toBe(true);
  });

  it("short 1 BTC with $10,000: 60,000 / 1.03 = 58,252.43 → 58,252 (rounded down)", () => {
    const b = BOB_1BTC_SHORT_AT_50000;
    expect(liquidationPriceTicks(b, b.positions[0], MARKETS_AT_50000_3000)).toBe(58_252n);
    const at = (p: bigint) => accountRisk(b, lookup(market(BTC_USD, p))).liquidatable;
    expect(at(58_252n)).toBe(false);
    expect(at(58_253n)).toBe(true);
  });

  it("an unlevered long has none; a short under water at any price has 0", () => {
    const rich = { ...ALICE_1BTC_LONG_AT_50000, quoteBalance: 0n };
    expect(liquidationPriceTicks(rich, rich.positions[0], MARKETS_AT_50000_3000)).toBeUndefined();
    const broke = { ...BOB_1BTC_SHORT_AT_50000, quoteBalance: 0n };
    expect(liquidationPriceTicks(broke, broke.positions[0], MARKETS_AT_50000_3000)).toBe(0n);
  });

  it("cross margin: Carl's BTC long liquidation price counts the ETH short's equity and MMR", () => {
    const c = CARL_1BTC_LONG_10ETH_SHORT;
    const btc = c.positions[0];
    // E_o = 20,000 − 50,000 = −30,000; M_o = 30,000 × 5 % = 1,500:
    // p = (1,500 + 30,000) / 0.97 = 32,474.23 → 32,475.
    expect(liquidationPriceTicks(c, btc, MARKETS_AT_50000_3000)).toBe(32_475n);
    const eth = c.positions[1];
    // ETH short: E_o = 20,000 + 30,000 = 50,000 (quote incl. BTC value), M_o = 1,500:
    // p = (50,000 − 1,500) / (10 × 1.05) = 4,619.047 $/ETH → 461,904 ticks (floor).
    expect(liquidationPriceTicks(c, eth, MARKETS_AT_50000_3000)).toBe(461_904n);
  });
});

describe("bankruptcy price", () => {
  const ALICE_AT_41000 = lookup(market(BTC_USD, 41_000n));
  const BOB_AT_58500 = lookup(market(BTC_USD, 58_500n));

  it("long 1 BTC, liquidatable at $41,000: bankrupt at $40,000 (where equity is 0)", () => {
    const a = ALICE_1BTC_LONG_AT_50000;
    expect(accountRisk(a, ALICE_AT_41000).liquidatable).toBe(true);
    const b = bankruptcyPrice(a, a.positions[0], BTC_1, ALICE_AT_41000);
    expect(b).toEqual({ priceTicks: 40_000n, deltaQuoteQuantums: 40_000n * USDC });
    // Half the position: same price, half the quote.
    const half = bankruptcyPrice(a, a.positions[0], BTC_1 / 2n, ALICE_AT_41000);
    expect(half).toEqual({ priceTicks: 40_000n, deltaQuoteQuantums: 20_000n * USDC });
  });

  it("short 1 BTC, liquidatable at $58,500: bankrupt at $60,000, paying $60,000", () => {
    const s = BOB_1BTC_SHORT_AT_50000;
    expect(accountRisk(s, BOB_AT_58500).liquidatable).toBe(true);
    const b = bankruptcyPrice(s, s.positions[0], BTC_1, BOB_AT_58500);
    expect(b).toEqual({ priceTicks: 60_000n, deltaQuoteQuantums: -60_000n * USDC });
  });

  it("rounds against the liquidated account: up for a long, down for a short", () => {
    // Equity $1,000.50 at $41,000 with 1 BTC long: exact bankruptcy $39,999.50.
    const a = { ...ALICE_1BTC_LONG_AT_50000, quoteBalance: -39_999_500_000n };
    const b = bankruptcyPrice(a, a.positions[0], BTC_1, ALICE_AT_41000);
    expect(b.priceTicks).toBe(40_000n);
    expect(b.deltaQuoteQuantums).toBe(39_999_500_000n);
    const s = { ...BOB_1BTC_SHORT_AT_50000, quoteBalance: 59_999_500_000n };
    expect(bankruptcyPrice(s, s.positions[0], BTC_1, BOB_AT_58500).priceTicks).toBe(59_999n);
  });

  it("cross margin: closing one position at bankruptcy leaves equity in proportion to the MMR left", () => {
    // Carl at BTC $35,000: equity = 20,000 − 15,000 = 5,000; MMR = 1,050 + 1,500 = 2,550.
    const c = CARL_1BTC_LONG_10ETH_SHORT;
    const markets = lookup(market(BTC_USD, 35_000n), ETH_AT_3000);
    const risk = accountRisk(c, markets);
    expect(risk.equityQuantums).toBe(5_000n * USDC);
    const b = bankruptcyPrice(c, c.positions[0], BTC_1, markets);
    // deltaQuote = 35,000 − 5,000 × 1,050 / 2,550 = 32,941.176… → 32,941.176471 (toward +∞)
    expect(b.deltaQuoteQuantums).toBe(32_941_176_471n);
    // Selling 1 BTC for that leaves 5,000 × 1,500 / 2,550 = 2,941.18 of equity for the ETH short.
    const after: Account = {
      ...c,
      quoteBalance: c.quoteBalance + b.deltaQuoteQuantums,
      positions: [c.positions[1]],
    };
    const left = equityQuantums(after, markets);
    expect(left * 2_550n >= 5_000n * USDC * 1_500n).toBe(true);
    expect((left - 1n) * 2_550n < 5_000n * USDC * 1_500n).toBe(true);
  });

  it("rejects a close larger than the position", () => {
    const a = ALICE_1BTC_LONG_AT_50000;
    expect(() => bankruptcyPrice(a, a.positions[0], BTC_1 + 1n, ALICE_AT_41000)).toThrow(
      RangeError,
    );
  });
});

describe("health", () => {
  it("liquidatable iff MMR > 0 and equity < MMR", () => {
    expect(isLiquidatable(-5n, 0n)).toBe(false);
    expect(isLiquidatable(10n, 10n)).toBe(false);
    expect(isLiquidatable(9n, 10n)).toBe(true);
    expect(healthRatio(9n, 10n)).toEqual({ num: 9n, den: 10n });
    expect(healthRatio(9n, 0n)).toBeUndefined();
  });

  it("orders by equity/MMR ascending, exactly, ties by address, MMR 0 last", () => {
    const keys = [
      { address: "0xd", equityQuantums: 5n, maintenanceQuantums: 0n },
      { address: "0xc", equityQuantums: 2n, maintenanceQuantums: 3n }, // 0.666…
      { address: "0xb", equityQuantums: 1n, maintenanceQuantums: 3n }, // 0.333…
      { address: "0xa", equityQuantums: 2n, maintenanceQuantums: 6n }, // 0.333… (tie)
      { address: "0xe", equityQuantums: -1n, maintenanceQuantums: 100n },
    ];
    expect([...keys].sort(compareLiquidationOrder).map((k) => k.address)).toEqual([
      "0xe",
      "0xa",
      "0xb",
      "0xc",
      "0xd",
    ]);
  });
});

describe("entry notional (display only)", () => {
  const q = BTC_USD.quantumsPerTickLot;
  it("grows exactly, reduces pro rata toward zero, flips at the fill price", () => {
    expect(entryNotionalAfterFill(0n, 0n, 3n, 50_000n, q)).toBe(15_000_000n);
    expect(entryNotionalAfterFill(3n, 15_000_000n, 1n, 50_001n, q)).toBe(20_000_100n);
    // Selling 1 of 3 lots keeps 2/3 of 20,000,100 = 13,333,400 (exact here).
    expect(entryNotionalAfterFill(3n, 20_000_100n, -1n, 40_000n, q)).toBe(13_333_400n);
    // 2/3 of 10 quantums = 6.67 → 6 (toward zero).
    expect(entryNotionalAfterFill(3n, 10n, -1n, 1n, q)).toBe(6n);
    expect(entryNotionalAfterFill(-3n, -10n, 1n, 1n, q)).toBe(-6n);
    expect(entryNotionalAfterFill(3n, 10n, -3n, 1n, q)).toBe(0n);
    expect(entryNotionalAfterFill(3n, 10n, -5n, 7n, q)).toBe(-2n * 7n * q);
  });
});

it("fixtures: BTC_AT_50000 has 100 quantums per tick-lot", () => {
  expect(BTC_AT_50000.params.quantumsPerTickLot).toBe(100n);
  expect(ETH_AT_3000.params.quantumsPerTickLot).toBe(10n);
});

describe("properties of liquidation and bankruptcy prices", () => {
  // Carl-like accounts: a BTC position and an ETH position, random sizes, prices, balance.
  const scenario = fc.record({
    btc: fc.bigInt({ min: -(10n ** 6n), max: 10n ** 6n }).filter((s) => s !== 0n),
    eth: fc.bigInt({ min: -(10n ** 6n), max: 10n ** 6n }),
    btcPrice: fc.bigInt({ min: 1_000n, max: 200_000n }),
    ethPrice: fc.bigInt({ min: 1_000n, max: 1_000_000n }),
    quote: fc.bigInt({ min: -(10n ** 14n), max: 10n ** 14n }),
  });
  function build(s: {
    btc: bigint;
    eth: bigint;
    btcPrice: bigint;
    ethPrice: bigint;
    quote: bigint;
  }) {
    const positions = [
      position(BTC_USD, s.btc, s.btcPrice),
      ...(s.eth !== 0n ? [position(ETH_USD, s.eth, s.ethPrice)] : []),
    ];
    const a: Account = { address: ALICE, quoteBalance: s.quote, positions };
    const at = (btcPrice: bigint) => lookup(market(BTC_USD, btcPrice), market(ETH_USD, s.ethPrice));
    return { a, at };
  }

  it("liquidation price is the exact threshold, rounded toward the earlier warning", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { a, at } = build(s);
        const liq = liquidationPriceTicks(a, a.positions[0], at(s.btcPrice));
        const liquidatableAt = (p: bigint) => accountRisk(a, at(p)).liquidatable;
        if (s.btc > 0n) {
          if (liq === undefined) {
            expect(liquidatableAt(1n)).toBe(false);
          } else {
            expect(liquidatableAt(liq)).toBe(false);
            if (liq > 1n) expect(liquidatableAt(liq - 1n)).toBe(true);
          }
        } else {
          expect(liq).not.toBeUndefined();
          if (liq !== undefined && liq > 0n) expect(liquidatableAt(liq)).toBe(false);
          if (liq !== undefined) expect(liquidatableAt(liq + 1n)).toBe(true);
        }
      }),
    );
  });

  it("closing at the bankruptcy price leaves equity ∝ remaining MMR; one tick worse does not", () => {
    fc.assert(
      fc.property(scenario, fc.bigInt({ min: 1n, max: 10n ** 6n }), (s, c) => {
        const { a, at } = build(s);
        const markets = at(s.btcPrice);
        const risk = accountRisk(a, markets);
        fc.pre(risk.liquidatable);
        const p = a.positions[0];
        const abs = p.sizeLots < 0n ? -p.sizeLots : p.sizeLots;
        const close = c > abs ? abs : c;
        const b = bankruptcyPrice(a, p, close, markets);
        // A liquidatable long always has a positive bankruptcy price; a deeply underwater
        // short may not (no buy price restores its equity).
        if (p.sizeLots > 0n) expect(b.priceTicks > 0n).toBe(true);
        const sign = p.sizeLots > 0n ? 1n : -1n;
        const q = BTC_USD.quantumsPerTickLot;
        const closeAt = (price: bigint): bigint => {
          const rest = p.sizeLots - sign * close;
          const after: Account = {
            ...a,
            quoteBalance: a.quoteBalance + sign * close * price * q,
            positions: [
              ...(rest !== 0n ? [{ ...p, sizeLots: rest }] : []),
              ...a.positions.slice(1),
            ],
          };
          return equityQuantums(after, markets);
        };
        // target = TNC × (TMMR − DMMR) / TMMR, compared multiplied out (exact).
        const total = marginRequirementsScaled(a.positions, markets).maintenanceScaled;
        const closed = close * s.btcPrice * q * BTC_USD.maintenanceMarginPpm;
        const target = risk.equityQuantums * (total - closed);
        expect(closeAt(b.priceTicks) * total >= target).toBe(true);
        expect(closeAt(b.priceTicks - sign) * total < target).toBe(true);
        // deltaQuote is the same bound in quantums: crediting it meets the target.
        const viaQuote = closeAt(0n) + b.deltaQuoteQuantums;
        expect(viaQuote * total >= target).toBe(true);
        expect((viaQuote - 1n) * total < target).toBe(true);
      }),
    );
  });
});

describe("open interest after a fill", () => {
  it("opens, moves and closes open interest", () => {
    expect(openInterestDeltaLots(0n, 0n, 5n)).toBe(5n); // two flat accounts open
    expect(openInterestDeltaLots(-5n, 5n, 5n)).toBe(-5n); // short buys back from a long
    expect(openInterestDeltaLots(0n, 5n, 5n)).toBe(0n); // a long passes to a new long
    expect(openInterestDeltaLots(-2n, 0n, 5n)).toBe(3n); // short flips to long 3
  });
});
