/**
 * The determinism and dependency rules are enforced by Biome (biome.json overrides). This
 * test proves they bite: it writes probe files that break each rule into the guarded
 * folders, lints them, and expects the diagnostics; the same code under lib/ passes.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const probes: string[] = [];

function lint(relDir: string, source: string): string[] {
  const dir = join(ROOT, relDir, `__lint_probe_${process.pid}__`);
  mkdirSync(dir, { recursive: true });
  probes.push(dir);
  const file = join(dir, "probe.ts");
  writeFileSync(file, source);
  let out: string;
  try {
    out = execFileSync("npx", ["biome", "lint", "--reporter=json", file], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
  } catch (e) {
    out = (e as { stdout: string }).stdout;
  }
  const report = JSON.parse(out) as { diagnostics: { category: string; message: string }[] };
  return report.diagnostics.map((d) => `${d.category}: ${d.message}`);
}

afterAll(() => {
  for (const d of probes) rmSync(d, { recursive: true, force: true });
});

const NONDETERMINISTIC = [
  'import { readFileSync } from "node:fs";',
  "export const t = Date.now();",
  "export const r = Math.random();",
  "export const e = process.env.HOME;",
  "export const h = setTimeout;",
  "export const f = readFileSync;",
].join("\n");

describe("lint rules", () => {
  it.each(["state/orderbook", "consensus/machine"])(
    "forbid clocks, randomness, timers, process and node:* in %s",
    (dir) => {
      const found = lint(dir, NONDETERMINISTIC).join("\n");
      expect(found).toMatch(/noRestrictedImports/);
      for (const name of ["Date", "Math", "process", "setTimeout"]) {
        expect(found).toContain(`global variable ${name}`);
      }
    },
  );

  it("forbids state/ from importing consensus/, node/ or rpc/", () => {
    for (const target of ["../../consensus/x.js", "../../node/x.js", "../../rpc/x.js"]) {
      const found = lint(
        "state/orderbook",
        `import { x } from "${target}";\nexport const y = x;\n`,
      );
      expect(found.join("\n")).toMatch(/dependency direction/);
    }
  });

  it("forbids consensus/ from importing state/ or node/", () => {
    for (const target of ["../state/x.js", "../node/x.js"]) {
      const found = lint("consensus", `import { x } from "${target}";\nexport const y = x;\n`);
      expect(found.join("\n")).toMatch(/dependency direction/);
    }
  });

  it("allows the same code in lib/ (where I/O primitives live)", () => {
    const found = lint("lib", NONDETERMINISTIC);
    expect(found.filter((d) => /noRestricted/.test(d))).toEqual([]);
  });
});
