import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ErrorCode, PerpetuaError } from "./errors.js";
import {
  divRound,
  formatDecimal,
  fromUnits,
  isPositiveDecimal,
  mulDiv,
  parseDecimal,
  parseUnit,
  parseUsdc,
  Rounding,
  toUnits,
} from "./fixed.js";

function errorOf(f: () => unknown): PerpetuaError | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof PerpetuaError) return e;
    throw e;
  }
  return undefined;
}

describe("divRound and mulDiv", () => {
  it("rounds in the asked direction for every sign combination", () => {
    expect(divRound(7n, 2n, Rounding.Floor)).toBe(3n);
    expect(divRound(7n, 2n, Rounding.Ceil)).toBe(4n);
    expect(divRound(-7n, 2n, Rounding.Floor)).toBe(-4n);
    expect(divRound(-7n, 2n, Rounding.Ceil)).toBe(-3n);
    expect(divRound(-7n, 2n, Rounding.Trunc)).toBe(-3n);
    expect(divRound(-7n, 2n, Rounding.Expand)).toBe(-4n);
    expect(divRound(7n, -2n, Rounding.Floor)).toBe(-4n);
    expect(divRound(6n, 3n, Rounding.Ceil)).toBe(2n);
    expect(() => divRound(1n, 0n, Rounding.Floor)).toThrow(RangeError);
  });

  it("floor ≤ exact ≤ ceil and they differ by at most one", () => {
    fc.assert(
      fc.property(
        fc.bigInt(),
        fc.bigInt(),
        fc.bigInt().filter((d) => d !== 0n),
        (a, b, d) => {
          const lo = mulDiv(a, b, d, Rounding.Floor);
          const hi = mulDiv(a, b, d, Rounding.Ceil);
          const p = a * b;
          // lo*d <= p <= hi*d when d > 0, reversed when d < 0
          if (d > 0n) {
            expect(lo * d <= p && p <= hi * d).toBe(true);
          } else {
            expect(lo * d >= p && p >= hi * d).toBe(true);
          }
          expect(hi - lo === 0n || hi - lo === 1n).toBe(true);
        },
      ),
    );
  });
});

describe("decimal strings", () => {
  it("parses exactly and formats back", () => {
    expect(parseDecimal("1.5", 6)).toBe(1_500_000n);
    expect(parseDecimal("0.000001", 6)).toBe(1n);
    expect(parseDecimal("-2.25", 2, { signed: true })).toBe(-225n);
    expect(formatDecimal(1_500_000n, 6)).toBe("1.5");
    expect(formatDecimal(-225n, 2)).toBe("-2.25");
    expect(formatDecimal(0n, 6)).toBe("0");
    expect(parseUsdc("100")).toBe(100_000_000n);
  });

  it.each([
    ["1e5", "exponent"],
    ["+1", "plus sign"],
    [" 1", "space"],
    [".5", "leading dot"],
    ["5.", "trailing dot"],
    ["01", "leading zero"],
    ["1.0000001", "too many decimals"],
    ["-1", "sign not allowed"],
    ["", "empty"],
    ["0x10", "hex"],
    ["1,5", "comma"],
    ["NaN", "not a number"],
  ])("rejects %s (%s)", (text) => {
    expect(errorOf(() => parseDecimal(text, 6))?.code).toBe(ErrorCode.INVALID_DECIMAL);
  });

  it("rejects non-strings and zero where not allowed, naming the field", () => {
    expect(errorOf(() => parseDecimal(5 as unknown as string, 6))?.code).toBe(
      ErrorCode.INVALID_DECIMAL,
    );
    const e = errorOf(() => parseDecimal("0", 6, { allowZero: false, field: "size" }));
    expect(e?.message).toContain("size");
  });

  it("converts to ticks and lots, rejecting non-multiples", () => {
    const tick = parseUnit("0.5");
    expect(toUnits("50000.5", tick)).toBe(100_001n);
    expect(fromUnits(100_001n, tick)).toBe("50000.5");
    expect(errorOf(() => toUnits("50000.25", tick))?.code).toBe(ErrorCode.INVALID_DECIMAL);
    expect(errorOf(() => toUnits("50000.3", tick))?.message).toContain("multiple of 0.5");
    const step = parseUnit("0.0001");
    expect(toUnits("1.2345", step)).toBe(12_345n);
    expect(errorOf(() => toUnits("1.23456", step))?.code).toBe(ErrorCode.INVALID_DECIMAL);
  });

  it("round-trips any amount through format and parse", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
        fc.integer({ min: 0, max: 18 }),
        (v, d) => {
          expect(parseDecimal(formatDecimal(v, d), d, { signed: true })).toBe(v);
        },
      ),
    );
  });

  it("isPositiveDecimal answers exactly as parseDecimal with allowZero false", () => {
    const accepts = (str: string, d: number) => {
      try {
        parseDecimal(str, d, { allowZero: false });
        return true;
      } catch {
        return false;
      }
    };
    // Strings near the grammar (digits, dots, signs, an exponent, spaces), and real amounts.
    const nearly = fc
      .array(fc.constantFrom(..."0123456789.-+e "), { maxLength: 70 })
      .map((cs) => cs.join(""));
    const amounts = fc
      .tuple(fc.bigInt({ min: 0n, max: 10n ** 25n }), fc.integer({ min: 0, max: 18 }))
      .map(([v, d]) => formatDecimal(v, d));
    const padded = fc
      .tuple(amounts, fc.integer({ min: 0, max: 4 }))
      .map(([a, z]) => (a.includes(".") ? a + "0".repeat(z) : "0".repeat(z) + a));
    fc.assert(
      fc.property(fc.oneof(nearly, amounts, padded), fc.integer({ min: 0, max: 20 }), (str, d) => {
        expect(isPositiveDecimal(str, d)).toBe(accepts(str, d));
      }),
      { numRuns: 5000 },
    );
    for (const [str, ok] of [
      ["1", true],
      ["0.5", true],
      ["10.000000000000000001", true],
      ["0", false],
      ["0.000", false],
      ["00.5", false],
      ["1.", false],
      [".5", false],
      ["-1", false],
      ["+1", false],
      ["1e3", false],
      ["1.0000000000000000001", false], // 19 decimal places
      ["", false],
    ] as const) {
      expect(isPositiveDecimal(str, 18)).toBe(ok);
    }
  });
});
