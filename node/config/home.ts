/**
 * The home directory (DESIGN.md section 5):
 *
 *   <home>/config/config.json         node configuration (schema.ts)
 *   <home>/config/genesis.json        the chain's genesis (schema owned by genesis/)
 *   <home>/config/node_key.json       libp2p identity            (0600)
 *   <home>/config/validator_key.json  consensus signing key      (0600)
 *   <home>/data/                      LevelDB, WAL, signer state (0700)
 *
 * config/ and data/ are 0700 and key files 0600: a validator key readable by another local
 * user is a slashing risk. Files are written to a temporary name, fsynced and then linked
 * (never overwriting) or, when forced, renamed into place, so a crash never leaves a torn
 * key file.
 */
import { randomBytes } from "node:crypto";
import { chmod, link, mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { ConfigError } from "./errors.js";
import {
  type NodeKey,
  nodeKeyFromFile,
  nodeKeyFromSeed,
  nodeKeyToFile,
  type ValidatorKey,
  validatorKeyFromFile,
  validatorKeyFromSeed,
  validatorKeyToFile,
} from "./keys.js";
import { type NodeConfig, parseConfig } from "./schema.js";

export interface HomePaths {
  home: string;
  configDir: string;
  dataDir: string;
  config: string;
  genesis: string;
  nodeKey: string;
  validatorKey: string;
  /** LevelDB directory of the node database (node/db). */
  db: string;
  /** Consensus write-ahead log. */
  wal: string;
  /** Consensus signer last-sign state (consensus/signer/fileSignerStorage). */
  signerState: string;
}

export function homePaths(home: string): HomePaths {
  const configDir = join(home, "config");
  const dataDir = join(home, "data");
  return {
    home,
    configDir,
    dataDir,
    config: join(configDir, "config.json"),
    genesis: join(configDir, "genesis.json"),
    nodeKey: join(configDir, "node_key.json"),
    validatorKey: join(configDir, "validator_key.json"),
    db: join(dataDir, "chain.db"),
    wal: join(dataDir, "cs.wal"),
    signerState: join(dataDir, "signer_state.cbor"),
  };
}

export const DIR_MODE = 0o700;
export const KEY_FILE_MODE = 0o600;
const FILE_MODE = 0o644;

export interface InitHomeOptions {
  /** Overwrite existing key, config and genesis files. */
  force?: boolean;
  /** A (partial) config.json object; validated, completed with defaults, and written. */
  config?: unknown;
  /** Deterministic keys (testnet generation, tests); random when absent. */
  nodeSeed?: Uint8Array;
  validatorSeed?: Uint8Array;
  /** Written to genesis.json when given (any JSON; genesis/ validates it). */
  genesis?: unknown;
}

export interface InitHomeResult {
  paths: HomePaths;
  config: NodeConfig;
  nodeKey: NodeKey;
  validatorKey: ValidatorKey;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
}

/** Writes `data` durably; refuses to replace an existing file unless `overwrite`. */
export async function writeFileSafely(
  path: string,
  data: string,
  mode: number,
  overwrite: boolean,
): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  const fh = await open(tmp, "wx", mode);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode); // the umask may have narrowed it further, never widened: make it exact
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    if (overwrite) {
      await rename(tmp, path);
    } else {
      // link() fails with EEXIST instead of replacing: no window where a check passes and
      // another writer's file is then clobbered.
      await link(tmp, path);
      await unlink(tmp);
    }
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    if ((e as NodeJS.ErrnoException).code === "EEXIST") {
      throw new ConfigError("FILE_EXISTS", `${path} already exists`, { file: path });
    }
    throw e;
  }
}

async function ensureDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: DIR_MODE });
  await chmod(path, DIR_MODE);
}

/**
 * Creates the home tree: config/ and data/ (0700), config.json, node_key.json and
 * validator_key.json (0600), and genesis.json when given. Refuses (KEY_EXISTS) before
 * writing anything if a key file already exists, unless `force`. An existing config.json
 * is kept (and validated) unless `force` or a `config` is passed.
 */
export async function initHome(home: string, opts: InitHomeOptions = {}): Promise<InitHomeResult> {
  const paths = homePaths(home);
  const force = opts.force ?? false;
  if (!force) {
    const present = [];
    for (const p of [paths.nodeKey, paths.validatorKey]) if (await exists(p)) present.push(p);
    if (present.length > 0) {
      throw new ConfigError(
        "KEY_EXISTS",
        `refusing to overwrite existing key file(s) ${present.join(", ")} (use --force to replace them)`,
        { file: present[0] },
      );
    }
    if (opts.genesis !== undefined && (await exists(paths.genesis))) {
      throw new ConfigError("FILE_EXISTS", `${paths.genesis} already exists (use --force)`, {
        file: paths.genesis,
      });
    }
  }
  // Validate the config before touching the disk: a bad --config leaves no half-made home.
  const writeConfig = opts.config !== undefined || force || !(await exists(paths.config));
  const config = writeConfig ? parseConfig(opts.config ?? {}, "config") : await loadConfig(home);

  await mkdir(home, { recursive: true, mode: DIR_MODE });
  await ensureDir(paths.configDir);
  await ensureDir(paths.dataDir);

  const nodeKey = nodeKeyFromSeed(opts.nodeSeed ?? new Uint8Array(randomBytes(32)));
  const validatorKey = validatorKeyFromSeed(opts.validatorSeed ?? new Uint8Array(randomBytes(32)));
  await writeFileSafely(paths.nodeKey, json(nodeKeyToFile(nodeKey)), KEY_FILE_MODE, force);
  await writeFileSafely(
    paths.validatorKey,
    json(validatorKeyToFile(validatorKey)),
    KEY_FILE_MODE,
    force,
  );
  if (writeConfig) await writeFileSafely(paths.config, json(config), FILE_MODE, true);
  if (opts.genesis !== undefined) {
    await writeFileSafely(paths.genesis, json(opts.genesis), FILE_MODE, force);
  }
  return { paths, config, nodeKey, validatorKey };
}

function json(v: unknown): string {
  return `${JSON.stringify(v, null, 2)}\n`;
}

async function readJson(
  path: string,
  missing: "CONFIG_NOT_FOUND" | "KEY_NOT_FOUND",
): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      throw new ConfigError(missing, `${path} not found (run \`perpetua init --home <dir>\`)`, {
        file: path,
      });
    }
    throw e;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError("CONFIG_PARSE", `${path}: not valid JSON: ${(e as Error).message}`, {
      file: path,
      cause: e,
    });
  }
}

/** Reads and validates `<home>/config/config.json`. */
export async function loadConfig(home: string): Promise<NodeConfig> {
  const path = homePaths(home).config;
  return parseConfig(await readJson(path, "CONFIG_NOT_FOUND"), path);
}

/** Writes config.json (validated first). */
export async function saveConfig(home: string, config: unknown): Promise<NodeConfig> {
  const paths = homePaths(home);
  const parsed = parseConfig(config, paths.config);
  await ensureDir(paths.configDir);
  await writeFileSafely(paths.config, json(parsed), FILE_MODE, true);
  return parsed;
}

/** The parsed genesis.json, unvalidated (genesis/ owns its schema). */
export function readGenesisJson(home: string): Promise<unknown> {
  return readJson(homePaths(home).genesis, "CONFIG_NOT_FOUND");
}

export async function writeGenesisJson(
  home: string,
  genesis: unknown,
  opts: { force?: boolean } = {},
): Promise<void> {
  const paths = homePaths(home);
  await ensureDir(paths.configDir);
  await writeFileSafely(paths.genesis, json(genesis), FILE_MODE, opts.force ?? false);
}

async function warnIfOpen(path: string, logger?: Logger): Promise<void> {
  if (!logger) return;
  const s = await stat(path);
  if ((s.mode & 0o077) !== 0) {
    logger.warn(
      { file: path, mode: (s.mode & 0o777).toString(8) },
      "key file is readable by other users; chmod 600 it",
    );
  }
}

export async function loadNodeKey(home: string, deps: { logger?: Logger } = {}): Promise<NodeKey> {
  const path = homePaths(home).nodeKey;
  const key = nodeKeyFromFile(await readJson(path, "KEY_NOT_FOUND"), path);
  await warnIfOpen(path, deps.logger);
  return key;
}

export async function loadValidatorKey(
  home: string,
  deps: { logger?: Logger } = {},
): Promise<ValidatorKey> {
  const path = homePaths(home).validatorKey;
  const key = validatorKeyFromFile(await readJson(path, "KEY_NOT_FOUND"), path);
  await warnIfOpen(path, deps.logger);
  return key;
}
