import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BoundedMap } from "./boundedMap.js";

describe("BoundedMap", () => {
  it("keeps the newest entries within both bounds, as a simple model does", () => {
    const op = fc.oneof(
      fc.record({ set: fc.integer({ min: 0, max: 30 }), weight: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ del: fc.integer({ min: 0, max: 30 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 100 }),
        fc.array(op, { maxLength: 200 }),
        (maxEntries, maxWeight, ops) => {
          const m = new BoundedMap<number, string>(maxEntries, maxWeight);
          let model: [number, number][] = []; // [key, weight], oldest first
          for (const o of ops) {
            if ("set" in o) {
              m.set(o.set, `v${o.set}/${o.weight}`, o.weight);
              model = model.filter(([k]) => k !== o.set);
              model.push([o.set, o.weight]);
              const sum = () => model.reduce((s, [, w]) => s + w, 0);
              while (model.length > 1 && (model.length > maxEntries || sum() > maxWeight)) {
                model.shift();
              }
              expect(m.get(o.set)).toBe(`v${o.set}/${o.weight}`); // the newest always stays
            } else {
              expect(m.delete(o.del)).toBe(model.some(([k]) => k === o.del));
              model = model.filter(([k]) => k !== o.del);
            }
            expect(m.keys()).toEqual(model.map(([k]) => k));
            expect(m.weight).toBe(model.reduce((s, [, w]) => s + w, 0));
            expect(m.size).toBeLessThanOrEqual(maxEntries);
            if (m.size > 1) expect(m.weight).toBeLessThanOrEqual(maxWeight);
          }
        },
      ),
    );
  });

  it("rejects bounds that could hold nothing", () => {
    expect(() => new BoundedMap(0, 10)).toThrow(RangeError);
    expect(() => new BoundedMap(1, -1)).toThrow(RangeError);
  });
});
