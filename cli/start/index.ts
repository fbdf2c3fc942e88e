/** `perpetua start --home DIR`: runs a node until SIGINT/SIGTERM, then stops cleanly. */
import { PerpetuaNode } from "../../node/node.js";
import { type Args, only, str } from "../args.js";

export async function run(args: Args): Promise<void> {
  only(args, ["home"]);
  const node = new PerpetuaNode({ home: str(args, "home") });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    node.log.info({ signal }, "signal received");
    node.stop().then(
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
}
