/**
 * Keystore files `<home>/keys/<name>.json`: an ed25519 seed encrypted with a passphrase.
 *
 * scrypt (N 2^15, r 8, p 1: ~32 MiB and ~0.1 s, the interactive setting of RFC 7914's
 * authors and go-ethereum's "light" keystore) derives a 32-byte key; aes-256-gcm encrypts
 * the seed with the address as additional data, so a file whose address or public key was
 * edited fails authentication instead of signing for someone else. A wrong passphrase is a
 * GCM tag mismatch: reported as such, never as garbage keys. `--unsafe-plaintext` stores
 * the seed in clear for devnets, and says so in the file.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { toHex } from "../../lib/bytes.js";
import { nodeSigner } from "../../rpc/client/nodeSigner.js";
import { type Signer, seedFromHex } from "../../rpc/client/signer.js";
import { type Args, CliError, str } from "../args.js";

export const KEYSTORE_VERSION = 1;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const SCRYPT_PARAMS = { N: 1 << 15, r: 8, p: 1 } as const;

export interface KeystoreFile {
  version: 1;
  name: string;
  address: string;
  publicKey: string;
  /** Present for encrypted keys. */
  crypto?: {
    kdf: "scrypt";
    N: number;
    r: number;
    p: number;
    salt: string;
    cipher: "aes-256-gcm";
    iv: string;
    ciphertext: string;
    tag: string;
  };
  /** Present for --unsafe-plaintext keys only. */
  unsafePlaintextSeed?: string;
}

export function defaultHome(): string {
  return join(homedir(), ".perpetua");
}

export function homeOf(args: Args): string {
  return str(args, "home", defaultHome());
}

export function checkKeyName(name: string | undefined): string {
  if (!name) throw new CliError("missing key name");
  if (!NAME_RE.test(name))
    throw new CliError(
      `key name "${name}": 1-64 characters of A-Z a-z 0-9 _ . - (not starting with . _ -)`,
    );
  return name;
}

export function keyPath(home: string, name: string): string {
  return join(home, "keys", `${checkKeyName(name)}.json`);
}

function scryptKey(passphrase: string, salt: Uint8Array, c: { N: number; r: number; p: number }) {
  return scryptSync(passphrase, salt, 32, { ...c, maxmem: 128 * c.N * c.r * c.p + (16 << 20) });
}

export function encryptSeed(
  name: string,
  seed: Uint8Array,
  passphrase: string | undefined,
  params: { N: number; r: number; p: number } = SCRYPT_PARAMS,
): KeystoreFile {
  const signer = nodeSigner(seed);
  const base = {
    version: KEYSTORE_VERSION as 1,
    name,
    address: signer.address,
    publicKey: toHex(signer.publicKey),
  };
  if (passphrase === undefined) return { ...base, unsafePlaintextSeed: toHex(seed) };
  if (passphrase.length === 0) throw new CliError("the passphrase is empty");
  const salt = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", scryptKey(passphrase, salt, params), iv);
  cipher.setAAD(Buffer.from(base.address));
  const ciphertext = Buffer.concat([cipher.update(seed), cipher.final()]);
  return {
    ...base,
    crypto: {
      kdf: "scrypt",
      ...params,
      salt: salt.toString("base64"),
      cipher: "aes-256-gcm",
      iv: iv.toString("base64"),
      ciphertext: ciphertext.toString("base64"),
      tag: cipher.getAuthTag().toString("base64"),
    },
  };
}

/** The seed of a keystore file; a wrong passphrase or an edited file is a one-line CliError. */
export function decryptSeed(file: KeystoreFile, passphrase: string | undefined): Uint8Array {
  let seed: Uint8Array;
  if (file.unsafePlaintextSeed !== undefined) {
    seed = seedFromHex(file.unsafePlaintextSeed);
  } else {
    const c = file.crypto;
    if (c?.kdf !== "scrypt" || c.cipher !== "aes-256-gcm")
      throw new CliError(`key ${file.name}: unsupported keystore format`);
    if (passphrase === undefined)
      throw new CliError(
        `key ${file.name} is encrypted: pass --passphrase or set PERPETUA_PASSPHRASE`,
      );
    try {
      const d = createDecipheriv(
        "aes-256-gcm",
        scryptKey(passphrase, Buffer.from(c.salt, "base64"), c),
        Buffer.from(c.iv, "base64"),
      );
      d.setAAD(Buffer.from(file.address));
      d.setAuthTag(Buffer.from(c.tag, "base64"));
      seed = new Uint8Array(
        Buffer.concat([d.update(Buffer.from(c.ciphertext, "base64")), d.final()]),
      );
    } catch {
      throw new CliError(`key ${file.name}: wrong passphrase (or the key file was altered)`);
    }
  }
  const signer = nodeSigner(seed);
  if (signer.address !== file.address || toHex(signer.publicKey) !== file.publicKey)
    throw new CliError(`key ${file.name}: the seed does not match the address in the file`);
  return seed;
}

export async function writeKeystore(home: string, file: KeystoreFile, force = false) {
  const path = keyPath(home, file.name);
  await mkdir(join(home, "keys"), { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, {
      mode: 0o600,
      flag: force ? "w" : "wx",
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST")
      throw new CliError(`key ${file.name} already exists (${path})`);
    throw e;
  }
  return path;
}

export async function readKeystore(home: string, name: string): Promise<KeystoreFile> {
  const path = keyPath(home, name);
  let raw: string;
  try {
    raw = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT")
      throw new CliError(`no key named ${name} in ${join(home, "keys")} (see: perpetua keys list)`);
    throw e;
  }
  let file: KeystoreFile;
  try {
    file = JSON.parse(raw) as KeystoreFile;
  } catch {
    throw new CliError(`${path}: not JSON`);
  }
  if (file.version !== KEYSTORE_VERSION || typeof file.address !== "string")
    throw new CliError(`${path}: not a perpetua keystore file (version ${KEYSTORE_VERSION})`);
  return file;
}

export async function listKeystores(home: string): Promise<KeystoreFile[]> {
  let names: string[];
  try {
    names = await readdir(join(home, "keys"));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  const out: KeystoreFile[] = [];
  for (const n of names.filter((n) => n.endsWith(".json")).sort()) {
    out.push(await readKeystore(home, n.slice(0, -5)));
  }
  return out;
}

/** The passphrase from --passphrase or PERPETUA_PASSPHRASE; undefined when neither is set. */
export function passphraseOf(args: Args): string | undefined {
  const flag = args.flags.get("passphrase");
  if (flag === true) throw new CliError("--passphrase needs a value");
  return flag ?? (process.env.PERPETUA_PASSPHRASE || undefined);
}

/** Loads and unlocks a named key as a signer (node:crypto: the CLI runs on Node). */
export async function loadSigner(args: Args, name: string): Promise<Signer> {
  const file = await readKeystore(homeOf(args), name);
  return nodeSigner(decryptSeed(file, passphraseOf(args)));
}
