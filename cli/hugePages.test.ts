import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HUGE_PAGES_TUNABLE, hugePagesRequested, withHugePages } from "./hugePages.js";

describe("withHugePages", () => {
  it("adds the tunable to an environment without GLIBC_TUNABLES", () => {
    const env = { PATH: "/bin" };
    const out = withHugePages(env);
    expect(out.GLIBC_TUNABLES).toBe(HUGE_PAGES_TUNABLE);
    expect(out.PATH).toBe("/bin");
    expect(env).toEqual({ PATH: "/bin" }); // the input is not changed
  });

  it("appends to other tunables and leaves an explicit hugetlb setting alone", () => {
    expect(withHugePages({ GLIBC_TUNABLES: "glibc.malloc.arena_max=2" }).GLIBC_TUNABLES).toBe(
      `glibc.malloc.arena_max=2:${HUGE_PAGES_TUNABLE}`,
    );
    const set = "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0";
    expect(withHugePages({ GLIBC_TUNABLES: set }).GLIBC_TUNABLES).toBe(set);
  });

  it("is turned off by PERPETUA_HUGE_PAGES=0", () => {
    expect(withHugePages({ PERPETUA_HUGE_PAGES: "0" }).GLIBC_TUNABLES).toBeUndefined();
  });

  it("tells whether an environment asks for huge pages", () => {
    expect(hugePagesRequested(withHugePages({}))).toBe(true);
    expect(
      hugePagesRequested({ GLIBC_TUNABLES: "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2" }),
    ).toBe(true);
    expect(hugePagesRequested({ GLIBC_TUNABLES: "glibc.malloc.hugetlb=0" })).toBe(false);
    expect(hugePagesRequested({ GLIBC_TUNABLES: "glibc.malloc.hugetlb=10" })).toBe(false);
    expect(hugePagesRequested({})).toBe(false);
    expect(hugePagesRequested(withHugePages({ PERPETUA_HUGE_PAGES: "0" }))).toBe(false);
  });
});

/** The kernel's THP mode ("always", "madvise", "never"), or undefined off Linux. */
function thpMode(): string | undefined {
  const f = "/sys/kernel/mm/transparent_hugepage/enabled";
  if (!existsSync(f)) return undefined;
  return /\[(\w+)\]/.exec(readFileSync(f, "utf8"))?.[1];
}

const glibc = (
  process.report.getReport() as { header: { glibcVersionRuntime?: string } }
).header.glibcVersionRuntime
  ?.split(".")
  .map(Number);
const hugePagesPossible =
  thpMode() === "madvise" &&
  glibc !== undefined &&
  (glibc[0] > 2 || (glibc[0] === 2 && glibc[1] >= 35));

/** AnonHugePages (kB) of a child Node process that allocates and fills a 64 MiB ArrayBuffer. */
function childHugePagesKb(env: NodeJS.ProcessEnv): number {
  const script = `
    const a = new Uint8Array(64 << 20);
    for (let i = 0; i < a.length; i += 4096) a[i] = 1;
    const m = /AnonHugePages:\\s+(\\d+) kB/.exec(require("fs").readFileSync("/proc/self/smaps_rollup", "utf8"));
    console.log(m ? m[1] : "0");`;
  return Number(execFileSync(process.execPath, ["-e", script], { env, encoding: "utf8" }).trim());
}

describe.skipIf(!hugePagesPossible)(
  "huge pages in a launched process (THP madvise, glibc ≥ 2.35)",
  () => {
    it("backs a large ArrayBuffer with huge pages only when the tunable is set", () => {
      const base = { ...process.env, PERPETUA_HUGE_PAGES: "0", GLIBC_TUNABLES: "" };
      expect(
        childHugePagesKb(withHugePages({ ...base, PERPETUA_HUGE_PAGES: "1" })),
      ).toBeGreaterThanOrEqual(32 * 1024);
      expect(childHugePagesKb(base)).toBeLessThan(32 * 1024);
    });
  },
);
