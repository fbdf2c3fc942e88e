// Tests of state/types/market.ts (kept here: this change owns state/margin, not state/types).
import { describe, expect, it } from "vitest";
import { ErrorCode, PerpetuaError } from "../../lib/errors.js";
import { parseUnit } from "../../lib/fixed.js";
import { parseMarketParams, quantumsPerTickLot } from "../types/market.js";
import { BTC_USD_JSON } from "./fixtures.js";

function errorOf(f: () => unknown): PerpetuaError {
  try {
    f();
  } catch (e) {
    if (e instanceof PerpetuaError) return e;
    throw e;
  }
  throw new Error("expected a PerpetuaError");
}

describe("quantumsPerTickLot", () => {
  it("is tickSize × stepSize × 10^6 when that is a whole number", () => {
    expect(quantumsPerTickLot(parseUnit("1"), parseUnit("0.0001"))).toBe(100n);
    expect(quantumsPerTickLot(parseUnit("0.1"), parseUnit("0.00001"))).toBe(1n);
    expect(quantumsPerTickLot(parseUnit("0.5"), parseUnit("3"))).toBe(1_500_000n);
  });

  it("throws INVALID_FIELD below one quantum or for fractions of a quantum", () => {
    const e = errorOf(() => quantumsPerTickLot(parseUnit("0.01"), parseUnit("0.00001"), "m"));
    expect(e.code).toBe(ErrorCode.INVALID_FIELD);
    expect(e.message).toMatch(/^m: tickSize × stepSize/);
    expect(() => quantumsPerTickLot(parseUnit("0.3"), parseUnit("0.0000005"))).toThrow(
      PerpetuaError,
    );
  });
});

describe("parseMarketParams", () => {
  it("converts the edge strings to units", () => {
    const p = parseMarketParams(BTC_USD_JSON, "markets[0]");
    expect(p.quantumsPerTickLot).toBe(100n);
    expect(p.oiLowerCapQuantums).toBe(1_000_000_000_000n);
    expect(p.openInterestCapLots).toBe(10_000_000n); // 1,000 BTC in 0.0001 lots
    expect(p.impactNotionalQuantums).toBe(10_000_000_000n);
    expect(p.makerFeePpm).toBe(-110n);
  });

  const cases: [string, Record<string, unknown>, string][] = [
    ["tick size zero", { tickSize: "0.0" }, "markets[1].tickSize: "],
    ["tick size with exponent", { tickSize: "1e2" }, "markets[1].tickSize: "],
    ["sub-quantum tick-lot", { tickSize: "0.01", stepSize: "0.00001" }, "markets[1]: "],
    ["MMF above IMF", { maintenanceMarginPpm: 60_000 }, "markets[1].maintenanceMarginPpm: "],
    ["IMF above 100 %", { initialMarginPpm: 1_000_001 }, "markets[1].initialMarginPpm: "],
    ["ppm as string", { takerFeePpm: "500" }, "markets[1].takerFeePpm: expected an integer"],
    ["upper cap below lower", { oiUpperCap: "10" }, "markets[1].oiUpperCap: "],
    ["OI cap off the step", { openInterestCap: "0.00001" }, "markets[1].openInterestCap: "],
    ["rebate above taker fee", { makerFeePpm: -501 }, "markets[1].makerFeePpm: "],
    ["zero impact notional", { impactNotional: "0" }, "markets[1].impactNotional: "],
    [
      "negative USDC",
      { maxInsurancePayoutPerBlock: "-1" },
      "markets[1].maxInsurancePayoutPerBlock: ",
    ],
    ["interval 0", { fundingIntervalSeconds: 0 }, "markets[1].fundingIntervalSeconds: "],
    ["bad id", { id: "btc usd" }, "markets[1].id: "],
    ["unknown field", { leverage: 20 }, "markets[1].leverage: unknown field"],
  ];
  for (const [name, patch, prefix] of cases) {
    it(`rejects ${name} naming the field path`, () => {
      const e = errorOf(() => parseMarketParams({ ...BTC_USD_JSON, ...patch }, "markets[1]"));
      expect(e.code).toBe(ErrorCode.INVALID_FIELD);
      expect(e.message.startsWith(prefix)).toBe(true);
    });
  }

  it("rejects a missing field and a non-object", () => {
    const { stepSize: _, ...rest } = BTC_USD_JSON;
    expect(errorOf(() => parseMarketParams(rest, "markets[2]")).message).toBe(
      "markets[2].stepSize: missing",
    );
    expect(errorOf(() => parseMarketParams([], "markets[3]")).message).toBe(
      "markets[3]: expected an object",
    );
  });
});
