/**
 * Validator sets and CometBFT's proposer selection (weighted round robin by proposer
 * priority; CometBFT spec/consensus/proposer-selection.md, types/validator_set.go).
 *
 * Each increment adds every validator's power to its priority, picks the validator with
 * the highest priority (ties: the lower address) and subtracts the total power from it, so
 * over T = total power increments each validator proposes `power` times. Before a batch of
 * increments the priorities are rescaled so that max - min <= 2·T and centred on their
 * average, which bounds them (and keeps newcomers from gaming their start value).
 *
 * Sets are immutable values. Validators are ordered by address (their index in votes and
 * commits); powers are safe integers with the total capped at 2^53/8 so that priorities,
 * which stay within about ±3·T, never leave the safe-integer range.
 */
import type { ValidatorInfo } from "../../lib/abci.js";
import { addressBytes } from "../../lib/address.js";
import { compareBytes, equalBytes, toHex } from "../../lib/bytes.js";
import { encode } from "../../lib/cbor.js";
import { sha256 } from "../../lib/hash.js";
import { ConsensusError } from "../errors.js";

export const MAX_TOTAL_VOTING_POWER = 1_125_899_906_842_623; // 2^50 - 1: priorities stay < 2^53
const PRIORITY_WINDOW_SIZE_FACTOR = 2;

export interface Validator {
  readonly address: Uint8Array;
  readonly pubKey: Uint8Array;
  readonly power: number;
  readonly proposerPriority: number;
}

export interface ValidatorSet {
  /** Sorted by address; a validator's index is its position here. */
  readonly validators: readonly Validator[];
  readonly totalPower: number;
  /** Index of the proposer chosen by the last increment. */
  readonly proposerIndex: number;
}

/** More than two thirds: 3·power > 2·total (the paper's 2f+1 with n = 3f+1). */
export function hasTwoThirds(power: number, total: number): boolean {
  return power * 3 > total * 2;
}

/** More than one third (the paper's f+1): at least one correct process among them. */
export function hasOneThird(power: number, total: number): boolean {
  return power * 3 > total;
}

/** Builds the genesis set: every validator starts at -1.125·T, then one increment. */
export function newValidatorSet(
  infos: readonly { pubKey: Uint8Array; power: number }[],
): ValidatorSet {
  if (infos.length === 0) throw new ConsensusError("bad_header", "empty validator set");
  let total = 0;
  for (const v of infos) {
    if (!Number.isSafeInteger(v.power) || v.power <= 0) {
      throw new ConsensusError("bad_header", `validator power must be positive: ${v.power}`);
    }
    total += v.power;
  }
  if (total > MAX_TOTAL_VOTING_POWER) {
    throw new ConsensusError("bad_header", `total voting power ${total} exceeds the maximum`);
  }
  return validatorSetWithAddresses(
    infos.map((v) => ({ address: addressBytes(v.pubKey), pubKey: v.pubKey, power: v.power })),
  );
}

/** As newValidatorSet with explicit addresses (CometBFT's test vectors use short ones). */
export function validatorSetWithAddresses(
  infos: readonly { address: Uint8Array; pubKey: Uint8Array; power: number }[],
): ValidatorSet {
  let total = 0;
  for (const v of infos) total += v.power;
  const start = -(total + Math.floor(total / 8));
  const validators = infos
    .map((v) => ({ address: v.address, pubKey: v.pubKey, power: v.power, proposerPriority: start }))
    .sort((a, b) => compareBytes(a.address, b.address));
  for (let i = 1; i < validators.length; i++) {
    if (equalBytes(validators[i - 1].address, validators[i].address)) {
      throw new ConsensusError("bad_header", "duplicate validator");
    }
  }
  return incrementProposerPriority({ validators, totalPower: total, proposerIndex: 0 }, 1);
}

// Exact integer division (truncating toward zero, as Go's int64 `/`).
function truncDiv(a: number, b: number): number {
  return Number(BigInt(a) / BigInt(b));
}

// Floor division (Go's big.Int Div with a positive divisor).
function floorDiv(a: number, b: number): number {
  const q = BigInt(a) / BigInt(b);
  return Number(BigInt(a) % BigInt(b) !== 0n && a < 0 ? q - 1n : q);
}

/** Returns the set after `times` proposer-priority increments (times >= 1). */
export function incrementProposerPriority(set: ValidatorSet, times: number): ValidatorSet {
  const n = set.validators.length;
  const prio = set.validators.map((v) => v.proposerPriority);
  const total = set.totalPower;
  // Rescale so that max - min <= 2·T.
  let max = prio[0];
  let min = prio[0];
  for (const p of prio) {
    if (p > max) max = p;
    if (p < min) min = p;
  }
  const diffMax = PRIORITY_WINDOW_SIZE_FACTOR * total;
  const diff = max - min;
  if (diff > diffMax) {
    const ratio = truncDiv(diff + diffMax - 1, diffMax);
    for (let i = 0; i < n; i++) prio[i] = truncDiv(prio[i], ratio);
  }
  // Centre on the average.
  let sum = 0n;
  for (const p of prio) sum += BigInt(p);
  const avg = floorDiv(Number(sum), n);
  for (let i = 0; i < n; i++) prio[i] -= avg;
  let proposer = set.proposerIndex;
  for (let t = 0; t < times; t++) {
    for (let i = 0; i < n; i++) prio[i] += set.validators[i].power;
    // Highest priority wins; on a tie the lower address, i.e. the lower index.
    let best = 0;
    for (let i = 1; i < n; i++) if (prio[i] > prio[best]) best = i;
    prio[best] -= total;
    proposer = best;
  }
  return {
    validators: set.validators.map((v, i) => ({ ...v, proposerPriority: prio[i] })),
    totalPower: total,
    proposerIndex: proposer,
  };
}

/** The proposer of round `round` for a height whose set (after its height increment) is `set`. */
export function proposerForRound(set: ValidatorSet, round: number): Validator {
  if (round === 0) return set.validators[set.proposerIndex];
  const s = incrementProposerPriority(set, round);
  return s.validators[s.proposerIndex];
}

/** The set of the next height: one increment, as CometBFT's state update does. */
export function nextHeightSet(set: ValidatorSet): ValidatorSet {
  return incrementProposerPriority(set, 1);
}

export function indexOfAddress(set: ValidatorSet, address: Uint8Array): number {
  for (let i = 0; i < set.validators.length; i++) {
    if (equalBytes(set.validators[i].address, address)) return i;
  }
  return -1;
}

const setHashes = new WeakMap<ValidatorSet, Uint8Array>();

/** sha256 over the canonical CBOR of [pubKey, power] pairs, in index order (no priorities). */
export function validatorsHash(set: ValidatorSet): Uint8Array {
  let h = setHashes.get(set);
  if (!h) {
    h = sha256(encode(set.validators.map((v) => [v.pubKey, v.power])));
    setHashes.set(set, h);
  }
  return h;
}

/** The set as the application sees it. */
export function validatorInfos(set: ValidatorSet): ValidatorInfo[] {
  return set.validators.map((v) => ({ address: v.address, pubKey: v.pubKey, power: v.power }));
}

export function addressKey(address: Uint8Array): string {
  return toHex(address);
}

/**
 * Applies the application's validator updates (power 0 removes), CometBFT's
 * UpdateWithChangeSet: an updated validator keeps its priority, a new one starts at
 * −1.125 × (total power after the updates, before removals) so it cannot gain by leaving
 * and rejoining; then removals, rescale to a 2·T window and centring. The result is the
 * set *before* its height increment (the caller applies `nextHeightSet`).
 */
export function applyValidatorUpdates(
  set: ValidatorSet,
  updates: readonly { pubKey: Uint8Array; power: number }[],
): ValidatorSet {
  if (updates.length === 0) return set;
  const byAddr = new Map<string, Validator>();
  for (const v of set.validators) byAddr.set(toHex(v.address), v);
  const seen = new Set<string>();
  const changes: { address: Uint8Array; pubKey: Uint8Array; power: number }[] = [];
  for (const u of updates) {
    if (!Number.isSafeInteger(u.power) || u.power < 0) {
      throw new ConsensusError("bad_header", `validator update with power ${u.power}`);
    }
    const address = addressBytes(u.pubKey);
    const key = toHex(address);
    if (seen.has(key)) throw new ConsensusError("bad_header", "duplicate validator update");
    seen.add(key);
    if (u.power === 0 && !byAddr.has(key)) {
      throw new ConsensusError("bad_header", "removal of a validator not in the set");
    }
    changes.push({ address, pubKey: u.pubKey, power: u.power });
  }
  // Total power with updates applied but removals not yet (CometBFT's tvpAfterUpdatesBeforeRemovals).
  let tvp = set.totalPower;
  for (const c of changes) {
    if (c.power > 0) tvp += c.power - (byAddr.get(toHex(c.address))?.power ?? 0);
  }
  const newcomerPriority = -(tvp + Math.floor(tvp / 8));
  for (const c of changes) {
    const key = toHex(c.address);
    const old = byAddr.get(key);
    if (c.power === 0) byAddr.delete(key);
    else {
      byAddr.set(key, {
        address: c.address,
        pubKey: c.pubKey,
        power: c.power,
        proposerPriority: old ? old.proposerPriority : newcomerPriority,
      });
    }
  }
  const validators = [...byAddr.values()].sort((a, b) => compareBytes(a.address, b.address));
  let total = 0;
  for (const v of validators) total += v.power;
  if (validators.length === 0 || total > MAX_TOTAL_VOTING_POWER) {
    throw new ConsensusError("bad_header", `validator updates leave total power ${total}`);
  }
  // Rescale and centre (CometBFT does this in updateWithChangeSet).
  const prio = validators.map((v) => v.proposerPriority);
  let max = prio[0];
  let min = prio[0];
  for (const p of prio) {
    if (p > max) max = p;
    if (p < min) min = p;
  }
  const diffMax = PRIORITY_WINDOW_SIZE_FACTOR * total;
  if (max - min > diffMax) {
    const ratio = truncDiv(max - min + diffMax - 1, diffMax);
    for (let i = 0; i < prio.length; i++) prio[i] = truncDiv(prio[i], ratio);
  }
  let sum = 0n;
  for (const p of prio) sum += BigInt(p);
  const avg = floorDiv(Number(sum), prio.length);
  return {
    validators: validators.map((v, i) => ({ ...v, proposerPriority: prio[i] - avg })),
    totalPower: total,
    proposerIndex: 0,
  };
}
