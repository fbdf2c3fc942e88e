/**
 * `perpetua keys add|list|show|import|export`: the local keystore of trading keys
 * (`<home>/keys/<name>.json`, see keystore.ts).
 */
import { toHex } from "../../lib/bytes.js";
import { generateSeed, seedFromHex } from "../../rpc/client/signer.js";
import { type Args, bool, CliError, only, str, table } from "../args.js";
import {
  decryptSeed,
  encryptSeed,
  homeOf,
  type KeystoreFile,
  keyPath,
  listKeystores,
  passphraseOf,
  readKeystore,
  writeKeystore,
} from "./keystore.js";

const USAGE = `usage: perpetua keys <add|list|show|import|export> [NAME] [flags]
  keys add NAME [--passphrase P | --unsafe-plaintext] [--force]   a new random key
  keys import NAME --seed HEX [--passphrase P | --unsafe-plaintext] [--force]
  keys list                                                        names and addresses
  keys show NAME                                                   address and public key
  keys export NAME [--passphrase P]                                the seed (hex)
common: --home DIR (default ~/.perpetua), --json; PERPETUA_PASSPHRASE replaces --passphrase`;

export async function run(args: Args): Promise<void> {
  const [sub, name, ...extra] = args.positionals;
  if (sub === undefined || sub === "help" || args.flags.has("help")) {
    if (sub === undefined && !args.flags.has("help"))
      throw new CliError(
        "missing subcommand: perpetua keys add|list|show|import|export (perpetua keys help)",
      );
    console.log(USAGE);
    return;
  }
  if (extra.length > 0) throw new CliError(`unexpected argument "${extra[0]}"`);
  switch (sub) {
    case "add":
    case "import":
      return add(args, sub, name);
    case "list":
      only(args, ["home", "json"]);
      return list(args);
    case "show":
      only(args, ["home", "json"]);
      return show(args, name);
    case "export":
      only(args, ["home", "json", "passphrase"]);
      return exportKey(args, name);
    default:
      throw new CliError(`unknown subcommand "keys ${sub}" (add, list, show, import, export)`);
  }
}

function describe(f: KeystoreFile, path?: string) {
  return {
    name: f.name,
    address: f.address,
    publicKey: f.publicKey,
    encrypted: f.crypto !== undefined,
    ...(path ? { file: path } : {}),
  };
}

function print(args: Args, o: Record<string, unknown>): void {
  if (bool(args, "json")) console.log(JSON.stringify(o));
  else console.log(table(Object.entries(o).map(([k, v]) => [k, String(v)])));
}

async function add(args: Args, sub: "add" | "import", name: string | undefined): Promise<void> {
  only(args, [
    "home",
    "json",
    "passphrase",
    "unsafe-plaintext",
    "force",
    ...(sub === "import" ? ["seed"] : []),
  ]);
  if (!name) throw new CliError(`missing key name: perpetua keys ${sub} NAME`);
  const plaintext = bool(args, "unsafe-plaintext");
  const passphrase = passphraseOf(args);
  if (plaintext && args.flags.has("passphrase"))
    throw new CliError("--passphrase and --unsafe-plaintext exclude each other");
  if (!plaintext && passphrase === undefined)
    throw new CliError(
      "a passphrase is needed: --passphrase P, PERPETUA_PASSPHRASE, or --unsafe-plaintext (devnets only)",
    );
  let seed: Uint8Array;
  if (sub === "import") {
    try {
      seed = seedFromHex(str(args, "seed"));
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError(`--seed: ${(e as Error).message}`);
    }
  } else {
    seed = generateSeed();
  }
  const file = encryptSeed(name, seed, plaintext ? undefined : passphrase);
  const path = await writeKeystore(homeOf(args), file, bool(args, "force"));
  print(args, describe(file, path));
}

async function list(args: Args): Promise<void> {
  const keys = await listKeystores(homeOf(args));
  if (bool(args, "json")) {
    console.log(JSON.stringify(keys.map((k) => describe(k))));
    return;
  }
  if (keys.length === 0) {
    console.log(`no keys in ${homeOf(args)}/keys (create one: perpetua keys add NAME)`);
    return;
  }
  console.log(
    table(
      keys.map((k) => [k.name, k.address, k.crypto ? "encrypted" : "PLAINTEXT"]),
      ["name", "address", "storage"],
    ),
  );
}

async function show(args: Args, name: string | undefined): Promise<void> {
  if (!name) throw new CliError("missing key name: perpetua keys show NAME");
  const home = homeOf(args);
  const f = await readKeystore(home, name);
  print(args, describe(f, keyPath(home, name)));
}

async function exportKey(args: Args, name: string | undefined): Promise<void> {
  if (!name) throw new CliError("missing key name: perpetua keys export NAME");
  const f = await readKeystore(homeOf(args), name);
  const seed = decryptSeed(f, passphraseOf(args));
  print(args, { name: f.name, address: f.address, seed: toHex(seed) });
}
