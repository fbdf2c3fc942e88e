/**
 * The genesis document (`<home>/config/genesis.json`), in CometBFT's shape so its tools
 * recognise it: chain_id, genesis_time (RFC 3339), initial_height, consensus_params,
 * validators (address, pub_key {type, value}, power, name), app_hash, app_state.
 *
 * `parseGenesis` validates the whole document with precise errors (field path and reason)
 * and turns it into the InitChainRequest the Application receives; the app_state part is
 * validated by the state machine's own parser (state/types/appState.ts), so the node and
 * the `genesis validate` command reject exactly what the chain would.
 */
import type { ConsensusParams, InitChainRequest } from "../lib/abci.js";
import { addressBytes } from "../lib/address.js";
import { fromBase64, toBase64, toHex } from "../lib/bytes.js";
import { encode } from "../lib/cbor.js";
import { ErrorCode, PerpetuaError } from "../lib/errors.js";
import { sha256 } from "../lib/hash.js";
import { type AppStateJson, parseAppState } from "../state/types/appState.js";

export const PUBKEY_TYPE = "tendermint/PubKeyEd25519";

export interface GenesisValidatorJson {
  address: string;
  pub_key: { type: string; value: string };
  power: string;
  name: string;
}

export interface GenesisDoc {
  genesis_time: string;
  chain_id: string;
  initial_height: string;
  consensus_params: {
    block: { max_bytes: string; max_txs: string };
    feature: { vote_extensions_enable_height: string };
  };
  validators: GenesisValidatorJson[];
  app_hash: string;
  app_state: AppStateJson;
}

export interface ParsedGenesis {
  readonly doc: GenesisDoc;
  readonly initChain: InitChainRequest;
  readonly names: readonly string[];
  /** sha256 of the canonical CBOR of the document: nodes compare it at the handshake. */
  readonly hash: Uint8Array;
}

function invalid(path: string, why: string): never {
  throw new PerpetuaError(ErrorCode.INVALID_FIELD, `genesis.${path}: ${why}`);
}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) invalid(path, "expected an object");
  return v as Record<string, unknown>;
}

function closed(o: Record<string, unknown>, keys: readonly string[], path: string): void {
  for (const k of Object.keys(o).sort())
    if (!keys.includes(k)) invalid(`${path}.${k}`.replace(/^\./, ""), "unknown field");
  for (const k of keys)
    if (!Object.hasOwn(o, k)) invalid(`${path}.${k}`.replace(/^\./, ""), "missing");
}

/** CometBFT writes int64s as decimal strings; accept those (and plain integers). */
function int(v: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof v === "string" && /^-?[0-9]+$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isSafeInteger(n)) invalid(path, "expected an integer");
  if (n < min || n > max) invalid(path, `must be ${min}..${max}`);
  return n;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

export function parseGenesisTime(s: unknown, path = "genesis_time"): number {
  if (typeof s !== "string" || !RFC3339.test(s))
    invalid(path, "expected RFC 3339 UTC time like 2026-11-28T00:00:00Z");
  const ms = Date.parse(s);
  if (!Number.isFinite(ms)) invalid(path, "not a valid date");
  return ms;
}

export function parseGenesis(json: unknown): ParsedGenesis {
  const o = obj(json, "");
  closed(
    o,
    [
      "genesis_time",
      "chain_id",
      "initial_height",
      "consensus_params",
      "validators",
      "app_hash",
      "app_state",
    ],
    "",
  );
  const chainId = o.chain_id;
  if (typeof chainId !== "string" || !/^[a-z0-9][a-z0-9-]{0,49}$/.test(chainId)) {
    invalid("chain_id", "1-50 characters of a-z, 0-9 and -");
  }
  const genesisTimeMs = parseGenesisTime(o.genesis_time);
  const initialHeight = int(o.initial_height, "initial_height", 1, 1);
  const cp = obj(o.consensus_params, "consensus_params");
  closed(cp, ["block", "feature"], "consensus_params");
  const block = obj(cp.block, "consensus_params.block");
  closed(block, ["max_bytes", "max_txs"], "consensus_params.block");
  const feature = obj(cp.feature, "consensus_params.feature");
  closed(feature, ["vote_extensions_enable_height"], "consensus_params.feature");
  const consensusParams: ConsensusParams = {
    maxBlockBytes: int(block.max_bytes, "consensus_params.block.max_bytes", 1024, 100 << 20),
    maxBlockTxs: int(block.max_txs, "consensus_params.block.max_txs", 1, 1_000_000),
    voteExtensionsEnableHeight: int(
      feature.vote_extensions_enable_height,
      "consensus_params.feature.vote_extensions_enable_height",
      1,
      1,
    ),
  };

  if (!Array.isArray(o.validators) || o.validators.length === 0)
    invalid("validators", "at least one validator");
  const seen = new Set<string>();
  const names: string[] = [];
  const validators = o.validators.map((v, i) => {
    const p = `validators[${i}]`;
    const vo = obj(v, p);
    closed(vo, ["address", "pub_key", "power", "name"], p);
    const pk = obj(vo.pub_key, `${p}.pub_key`);
    closed(pk, ["type", "value"], `${p}.pub_key`);
    if (pk.type !== PUBKEY_TYPE) invalid(`${p}.pub_key.type`, `expected "${PUBKEY_TYPE}"`);
    let pubKey: Uint8Array;
    try {
      pubKey = fromBase64(String(pk.value));
    } catch {
      invalid(`${p}.pub_key.value`, "expected base64");
    }
    if (pubKey.length !== 32) invalid(`${p}.pub_key.value`, "expected a 32-byte ed25519 key");
    const address = addressBytes(pubKey);
    if (
      typeof vo.address !== "string" ||
      vo.address.toUpperCase() !== toHex(address).toUpperCase()
    ) {
      invalid(
        `${p}.address`,
        `does not match the public key (expected ${toHex(address).toUpperCase()})`,
      );
    }
    if (seen.has(vo.address.toUpperCase())) invalid(`${p}.address`, "duplicate validator");
    seen.add(vo.address.toUpperCase());
    if (typeof vo.name !== "string" || vo.name.length > 64)
      invalid(`${p}.name`, "a name of at most 64 characters");
    names.push(vo.name);
    return { address, pubKey, power: int(vo.power, `${p}.power`, 1, 1_000_000_000) };
  });
  if (typeof o.app_hash !== "string" || o.app_hash !== "")
    invalid("app_hash", 'must be "" at genesis');
  // The state machine's own parser, with its field paths under genesis.app_state.
  try {
    parseAppState(o.app_state, "app_state");
  } catch (e) {
    if (e instanceof PerpetuaError) throw new PerpetuaError(e.code, `genesis.${e.message}`);
    throw e;
  }
  const doc = json as GenesisDoc;
  return {
    doc,
    names,
    hash: sha256(encode(JSON.parse(JSON.stringify(doc)))),
    initChain: {
      chainId,
      genesisTimeMs,
      initialHeight,
      validators,
      consensusParams,
      appState: o.app_state,
    },
  };
}

/** A validator entry for a public key, as `genesis add-validator` writes it. */
export function validatorEntry(
  pubKey: Uint8Array,
  power: number,
  name: string,
): GenesisValidatorJson {
  return {
    address: toHex(addressBytes(pubKey)).toUpperCase(),
    pub_key: { type: PUBKEY_TYPE, value: toBase64(pubKey) },
    power: String(power),
    name,
  };
}
