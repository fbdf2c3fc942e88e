/** `perpetua init --home DIR [--moniker NAME] [--force] [--json]`: a node home (config, keys; the genesis comes from `genesis` or `testnet`). */
import { initHome } from "../../node/config/index.js";
import { type Args, bool, only, str, table } from "../args.js";

export async function run(args: Args): Promise<void> {
  only(args, ["home", "moniker", "force", "json"]);
  const home = str(args, "home");
  const res = await initHome(home, {
    force: bool(args, "force"),
    config: { moniker: str(args, "moniker", "perpetua-node") },
  });
  const out = {
    home,
    config: res.paths.config,
    nodeId: res.nodeKey.peerId,
    validatorAddress: res.validatorKey.address,
    validatorPubKey: Buffer.from(res.validatorKey.publicKey).toString("base64"),
  };
  if (bool(args, "json")) console.log(JSON.stringify(out));
  else console.log(table(Object.entries(out).map(([k, v]) => [k, v])));
}
