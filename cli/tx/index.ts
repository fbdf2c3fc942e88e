/**
 * `perpetua tx place-order|cancel|cancel-all|transfer|faucet --from NAME`: signs with a
 * keystore key, broadcasts, waits for the commit (unless --no-wait) and prints each
 * message's result as the chain recorded it (the CBOR `data` of the tx result, decoded).
 * A transaction refused at checkTx, or a message that failed inside a committed
 * transaction, exits 1 with the reason on one line.
 */
import { parseAddress } from "../../lib/address.js";
import type { CommittedTx } from "../../rpc/client/client.js";
import {
  cancelAll,
  cancelOrder,
  faucet,
  type Msg,
  type PlaceOrderInput,
  placeOrder,
  transfer,
} from "../../rpc/client/tx.js";
import { Wallet } from "../../rpc/client/wallet.js";
import { type Args, bool, CliError, int, only, str, table } from "../args.js";
import { loadSigner } from "../keys/keystore.js";
import { clientOf, json, withClientErrors } from "../query/common.js";

const COMMON = ["from", "home", "node", "passphrase", "json", "no-wait", "timeout"];

/** The flags of each `tx` subcommand (help and its test read them from here). */
export const TX_FLAGS = {
  "place-order": [
    ...COMMON,
    "market",
    "side",
    "type",
    "price",
    "size",
    "tif",
    "reduce-only",
    "client-id",
    "good-til-block",
    "trigger",
    "stp",
  ],
  cancel: [...COMMON, "market", "order-id", "client-id"],
  "cancel-all": [...COMMON, "market"],
  transfer: [...COMMON, "to", "amount"],
  faucet: [...COMMON, "amount"],
};

const USAGE = `usage: perpetua tx <place-order|cancel|cancel-all|transfer|faucet> --from NAME [flags]
  tx place-order --market BTC-USD --side buy|sell [--type limit|market] [--price P] --size S
                 [--tif gtc|ioc|fok|post_only] [--reduce-only] [--client-id N]
                 [--good-til-block H] [--trigger stop:49000|take_profit:P]
                 [--stp cancel_maker|cancel_taker|cancel_both]
  tx cancel --market M (--order-id N | --client-id N)
  tx cancel-all [--market M]
  tx transfer --to 0x... --amount USDC
  tx faucet --amount USDC
common: --from NAME (a key of perpetua keys), --home, --node URL, --passphrase, --json,
        --no-wait (return after checkTx), --timeout SECONDS (default 30)`;

export async function run(args: Args): Promise<void> {
  const [sub, ...extra] = args.positionals;
  if (sub === undefined || sub === "help" || args.flags.has("help")) {
    if (sub === undefined && !args.flags.has("help"))
      throw new CliError(
        "missing subcommand: perpetua tx place-order|cancel|cancel-all|transfer|faucet (perpetua tx help)",
      );
    console.log(USAGE);
    return;
  }
  if (extra.length > 0) throw new CliError(`unexpected argument "${extra[0]}"`);
  const msg = msgOf(sub, args);
  const from = str(args, "from");
  const signer = await loadSigner(args, from);
  const wallet = new Wallet(clientOf(args), signer);
  const timeoutMs = int(args, "timeout", 30, 1, 3600) * 1000;
  await withClientErrors(async () => {
    if (bool(args, "no-wait")) {
      const r = await wallet.send([msg], { wait: false });
      if (json(args)) console.log(JSON.stringify({ hash: r.hash, committed: false }));
      else
        console.log(
          table([
            ["hash", r.hash],
            ["status", "accepted by the mempool (not waiting)"],
          ]),
        );
      return;
    }
    const r = await wallet.send([msg], { timeoutMs });
    printCommitted(args, r, [msg]);
    const failed = r.results.filter((x) => x.code !== 0);
    if (failed.length > 0) {
      const f = failed[0];
      throw new CliError(
        `${sub} failed: code ${f.code}: ${f.log} (tx ${r.hash}, height ${r.height})`,
      );
    }
  });
}

function msgOf(sub: string | undefined, args: Args): Msg {
  switch (sub) {
    case "place-order": {
      only(args, TX_FLAGS["place-order"]);
      const o: PlaceOrderInput = {
        market: str(args, "market"),
        side: oneOf(args, "side", ["buy", "sell"] as const),
        type: oneOf(args, "type", ["limit", "market"] as const, "limit"),
        size: str(args, "size"),
        reduceOnly: bool(args, "reduce-only"),
        clientId: int(args, "client-id", 0, 0, 0xffff_ffff),
      };
      if (args.flags.has("price")) o.price = str(args, "price");
      else if (o.type === "limit") throw new CliError("missing --price (a limit order needs one)");
      if (args.flags.has("tif"))
        o.tif = oneOf(args, "tif", ["gtc", "ioc", "fok", "post_only"] as const);
      if (args.flags.has("good-til-block")) o.goodTilBlock = int(args, "good-til-block", 0, 1);
      if (args.flags.has("stp"))
        o.stp = oneOf(args, "stp", ["cancel_maker", "cancel_taker", "cancel_both"] as const);
      if (args.flags.has("trigger")) {
        const m = /^(stop|take_profit):([0-9]+(\.[0-9]+)?)$/.exec(str(args, "trigger"));
        if (!m) throw new CliError("--trigger: expected stop:PRICE or take_profit:PRICE");
        o.trigger = { kind: m[1] as "stop" | "take_profit", price: m[2] };
      }
      return placeOrder(o);
    }
    case "cancel": {
      only(args, TX_FLAGS.cancel);
      const market = str(args, "market");
      const hasOrder = args.flags.has("order-id");
      if (hasOrder === args.flags.has("client-id"))
        throw new CliError("exactly one of --order-id and --client-id");
      return hasOrder
        ? cancelOrder(market, { orderId: int(args, "order-id", 0, 1) })
        : cancelOrder(market, { clientId: int(args, "client-id", 0, 0, 0xffff_ffff) });
    }
    case "cancel-all":
      only(args, TX_FLAGS["cancel-all"]);
      return cancelAll(args.flags.has("market") ? str(args, "market") : undefined);
    case "transfer": {
      only(args, TX_FLAGS.transfer);
      let to: string;
      try {
        to = parseAddress(str(args, "to"), "--to");
      } catch (e) {
        if (e instanceof CliError) throw e;
        throw new CliError((e as Error).message);
      }
      return transfer(to, str(args, "amount"));
    }
    case "faucet":
      only(args, TX_FLAGS.faucet);
      return faucet(str(args, "amount"));
    default:
      throw new CliError(
        `unknown subcommand "tx ${sub}" (place-order, cancel, cancel-all, transfer, faucet)`,
      );
  }
}

function oneOf<const T extends string>(
  args: Args,
  name: string,
  values: readonly T[],
  fallback?: T,
): T {
  const v = str(args, name, fallback);
  if (!values.includes(v as T))
    throw new CliError(`--${name}: expected ${values.join(" | ")}, got "${v}"`);
  return v as T;
}

function printCommitted(args: Args, r: CommittedTx, msgs: readonly Msg[]): void {
  if (json(args)) {
    console.log(
      JSON.stringify({ hash: r.hash, height: r.height, code: r.code, results: r.results }),
    );
    return;
  }
  console.log(
    table([
      ["hash", r.hash],
      ["height", String(r.height)],
      ["log", r.log],
    ]),
  );
  console.log();
  console.log(
    table(
      r.results.map((x, i) => [
        String(i),
        msgs[i]?.kind ?? "?",
        String(x.code),
        x.status ?? (x.code === 0 ? "ok" : "failed"),
        x.orderId === undefined ? "" : String(x.orderId),
        x.filled ?? (x.cancelled === undefined ? "" : `${x.cancelled} cancelled`),
        x.log,
      ]),
      ["#", "msg", "code", "status", "order", "filled", "log"],
    ),
  );
}
