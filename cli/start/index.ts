/**
 * `perpetua start --home DIR`: runs a node until SIGINT/SIGTERM, then stops cleanly.
 *
 * PERPETUA_CPU_PROFILE=FILE (a diagnostic for operators and benchmarks): the node records
 * a V8 CPU profile from start to stop and writes it to FILE, where %p stands for the
 * process id (several nodes on one machine); open it in Chrome DevTools. SIGUSR2 discards
 * what was recorded so far and starts again: a benchmark's measured phase alone, without
 * the start-up and warm-up before it.
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { PerpetuaNode } from "../../node/node.js";
import { type Args, only, str } from "../args.js";
import { hugePagesRequested } from "../hugePages.js";

async function startProfiler(): Promise<(() => Promise<void>) | undefined> {
  const file = process.env.PERPETUA_CPU_PROFILE;
  if (!file) return undefined;
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 500 });
  await session.post("Profiler.start");
  process.on("SIGUSR2", () => {
    void session
      .post("Profiler.stop")
      .then(() => session.post("Profiler.start"))
      .catch(() => undefined);
  });
  return async () => {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(file.replaceAll("%p", String(process.pid)), JSON.stringify(profile));
  };
}

export async function run(args: Args): Promise<void> {
  only(args, ["home"]);
  const stopProfiler = await startProfiler();
  const node = new PerpetuaNode({ home: str(args, "home") });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    node.log.info({ signal }, "signal received");
    node
      .stop()
      .then(() => stopProfiler?.())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  try {
    await node.start();
  } catch (e) {
    await node.stop().catch(() => undefined);
    throw e;
  }
  if (process.platform === "linux") {
    const hugePages = hugePagesRequested();
    node.log.info(
      { hugePages },
      hugePages
        ? "huge pages requested for the state tree (GLIBC_TUNABLES)"
        : "huge pages not requested: GLIBC_TUNABLES=glibc.malloc.hugetlb=1 makes commits faster (docs/operations.md)",
    );
  }
}
