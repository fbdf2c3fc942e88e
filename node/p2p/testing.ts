/** Helpers for tests of the p2p host: hosts on ephemeral loopback ports, polling waits. */
import pino from "pino";
import { type GossipHandler, P2PHost, type P2PHostDeps, type P2PHostOptions } from "./host.js";
import { generateNodeKey } from "./keys.js";

export const TEST_CHAIN_ID = "perpetua-test";
export const silentLogger = pino({ level: "silent" });

export function testHost(
  opts: Partial<P2PHostOptions> = {},
  deps: Partial<P2PHostDeps> = {},
): P2PHost {
  return new P2PHost(
    {
      chainId: TEST_CHAIN_ID,
      nodeKey: generateNodeKey(),
      listen: "/ip4/127.0.0.1/tcp/0",
      statusIntervalMs: 0,
      reconnectInitialMs: 100,
      reconnectMaxMs: 1_000,
      ...opts,
    },
    { logger: silentLogger, ...deps },
  );
}

/** Polls `cond` every 20 ms until it holds; throws with `what` after `timeoutMs`. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  what: string | (() => string),
  timeoutMs = 10_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) {
      const desc = typeof what === "string" ? what : what();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${desc}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A handler that records messages and answers `verdict`. */
export function recorder(verdict: "accept" | "reject" | "ignore" = "accept"): {
  handler: GossipHandler;
  got: { data: Uint8Array; from: string }[];
} {
  const got: { data: Uint8Array; from: string }[] = [];
  return {
    got,
    handler: (data, from) => {
      got.push({ data, from });
      return verdict;
    },
  };
}
