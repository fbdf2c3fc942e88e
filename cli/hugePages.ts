/**
 * Transparent huge pages for the node processes that perpetua launches.
 *
 * A node's state tree lives in a few large typed arrays (state/store/nodePool.ts: ~200 MB
 * for a million keys) that a commit reads at random; with 4 KiB pages nearly every one of
 * those reads also misses the TLB, and the processor has only a couple of page walkers to
 * serve them. glibc (≥ 2.35) asks the kernel for transparent huge pages on the memory its
 * malloc maps when the tunable `glibc.malloc.hugetlb=1` is set, and Node allocates
 * ArrayBuffers with malloc. It is an environment variable read when a process starts, so the
 * launcher sets it: `perpetua devnet`, the test and benchmark testnets, and the store
 * benchmark. An operator starting `perpetua start` directly sets it in the service's
 * environment (docs/operations.md). Measured: a 10^4-key commit into 10^6 keys took
 * ~15 % less (docs/BENCHMARKS.md).
 *
 * Harmless where it does not apply: other C libraries and older glibc ignore it, and with
 * the kernel's THP mode at `never` the advice has no effect. `PERPETUA_HUGE_PAGES=0` turns
 * it off, and a GLIBC_TUNABLES that already sets `glibc.malloc.hugetlb` is left as it is.
 */

export const HUGE_PAGES_TUNABLE = "glibc.malloc.hugetlb=1";
const HUGETLB = "glibc.malloc.hugetlb=";

/** The value GLIBC_TUNABLES gives glibc.malloc.hugetlb in `env`, if it sets it. */
function hugetlbOf(env: NodeJS.ProcessEnv): string | undefined {
  const t = (env.GLIBC_TUNABLES ?? "").split(":").find((x) => x.startsWith(HUGETLB));
  return t?.slice(HUGETLB.length);
}

/** `env` with the huge-page tunable added to GLIBC_TUNABLES (a new object; env unchanged). */
export function withHugePages(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (env.PERPETUA_HUGE_PAGES === "0" || hugetlbOf(env) !== undefined) return { ...env };
  const current = env.GLIBC_TUNABLES;
  const tunables = current ? `${current}:${HUGE_PAGES_TUNABLE}` : HUGE_PAGES_TUNABLE;
  return { ...env, GLIBC_TUNABLES: tunables };
}

/** Whether `env` asks glibc for huge pages (hugetlb=1, transparent; or 2, reserved pages). */
export function hugePagesRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = hugetlbOf(env);
  return v === "1" || v === "2";
}
