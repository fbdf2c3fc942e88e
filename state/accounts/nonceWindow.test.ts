import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ErrorCode, type PerpetuaError } from "../../lib/errors.js";
import { checkNonce, NONCE_WINDOW, nonceProblem, useNonce } from "./nonceWindow.js";

describe("nonce window", () => {
  it("accepts any unused nonce while the window is not full, in any order", () => {
    let w: number[] = [];
    for (const n of [50, 10, 30, 20]) {
      expect(nonceProblem(w, n)).toBeUndefined();
      w = useNonce(w, n);
    }
    expect(w).toEqual([10, 20, 30, 50]);
    expect(nonceProblem(w, 30)).toMatch(/already used/);
  });

  it("once full, requires a nonce above the smallest remembered and forgets the smallest", () => {
    let w: number[] = [];
    for (let n = 1; n <= NONCE_WINDOW; n++) w = useNonce(w, n * 10);
    expect(w).toHaveLength(NONCE_WINDOW);
    expect(nonceProblem(w, 10)).toMatch(/not above the smallest/);
    expect(nonceProblem(w, 5)).toMatch(/not above the smallest/);
    expect(nonceProblem(w, 15)).toBeUndefined(); // a gap above the smallest is fine
    w = useNonce(w, 15);
    expect(w[0]).toBe(15);
    expect(w).toHaveLength(NONCE_WINDOW);
    try {
      checkNonce(w, 20);
      expect.unreachable();
    } catch (e) {
      expect((e as PerpetuaError).code).toBe(ErrorCode.BAD_NONCE);
    }
  });

  it("never accepts a nonce twice, and the window stays sorted and bounded", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 400 }), (nonces) => {
        let w: number[] = [];
        const accepted = new Set<number>();
        for (const n of nonces) {
          if (nonceProblem(w, n) === undefined) {
            expect(accepted.has(n)).toBe(false);
            accepted.add(n);
            w = useNonce(w, n);
          }
        }
        expect(w.length).toBeLessThanOrEqual(NONCE_WINDOW);
        for (let i = 1; i < w.length; i++) expect(w[i - 1] < w[i]).toBe(true);
      }),
    );
  });
});
