/**
 * Lazy funding settlement of one position, and the per-market ledger that proves funding
 * never mints.
 *
 * Source: dYdX v4 x/perpetuals/lib GetSettlementPpmWithPerpetual (settlement = −(indexNow −
 * positionIndex) × size, a signed value: positive = the account receives) and
 * x/subaccounts, which floors the settlement when it converts it to quote quantums, so a
 * payer pays the ceiling and a receiver gets the floor.
 */
import { divRound, Rounding } from "../../lib/fixed.js";
import { FUNDING_INDEX_SCALE } from "./fundingIndex.js";

export interface FundingSettlement {
  /** Change to the account's quoteBalance (negative: the account pays). */
  readonly quoteDeltaQuantums: bigint;
  /** The exact amount owed to the account, in 1/FUNDING_INDEX_SCALE quantums (signed). */
  readonly exactScaled: bigint;
  /** What rounding kept back, in 1/FUNDING_INDEX_SCALE quantums: 0 ≤ dust < SCALE. */
  readonly dustScaled: bigint;
  /** The index the position holds after settling (the market's current index). */
  readonly fundingIndex: bigint;
}

/*
 * exact  = −sizeLots × (indexNow − positionIndex)              (quantums × SCALE)
 * delta  = floor(exact / SCALE)                                  (quantums)
 * dust   = exact − delta × SCALE                                 (0 ≤ dust < SCALE)
 *
 * Longs pay when the index rose (positive rates), shorts receive.
 */
export function settleFunding(
  sizeLots: bigint,
  positionIndex: bigint,
  marketIndex: bigint,
): FundingSettlement {
  const exactScaled = -sizeLots * (marketIndex - positionIndex);
  // Floor rounds against the account in both directions: a payer (exact < 0) pays
  // ceil(|exact|), a receiver gets floor(exact). The difference stays with the system.
  const quoteDeltaQuantums = divRound(exactScaled, FUNDING_INDEX_SCALE, Rounding.Floor);
  return {
    quoteDeltaQuantums,
    exactScaled,
    dustScaled: exactScaled - quoteDeltaQuantums * FUNDING_INDEX_SCALE,
    fundingIndex: marketIndex,
  };
}

/** Funding the account would receive (negative: pay) if it settled now, in quantums. */
export function unsettledFundingQuantums(
  sizeLots: bigint,
  positionIndex: bigint,
  marketIndex: bigint,
): bigint {
  return settleFunding(sizeLots, positionIndex, marketIndex).quoteDeltaQuantums;
}

/**
 * Per-market record of settled funding. Settlement is lazy, so payers and receivers settle at
 * different blocks: the market's funding pool (`fundingPoolQuantums`) holds what payers paid
 * before receivers collect, and may be temporarily negative when receivers settle first. It
 * must be counted in the USDC conservation invariant.
 *
 * Identity (checked by `fundingLedgerConsistent`):
 *   (received − paid + swept) × SCALE + dustScaled = netExactScaled
 * where netExactScaled = Σ exact over settlements. Because Σ sizeLots = 0 in every market and
 * a position settles before its size changes, Σ exact over a full history is 0; so once every
 * position has settled, paid = received + swept + dust/SCALE: funding paid = funding
 * received + dust, and nothing is minted.
 */
export interface FundingLedger {
  /** Σ quantums paid by accounts (≥ 0). */
  readonly paidQuantums: bigint;
  /** Σ quantums received by accounts (≥ 0). */
  readonly receivedQuantums: bigint;
  /** Σ exact amounts settled (1/SCALE quantums, signed, positive = to accounts). */
  readonly netExactScaled: bigint;
  /** Rounding retained and not yet swept (1/SCALE quantums, ≥ 0). */
  readonly dustScaled: bigint;
  /** Whole quantums of dust moved to the insurance fund so far. */
  readonly sweptQuantums: bigint;
}

export const EMPTY_FUNDING_LEDGER: FundingLedger = {
  paidQuantums: 0n,
  receivedQuantums: 0n,
  netExactScaled: 0n,
  dustScaled: 0n,
  sweptQuantums: 0n,
};

export function recordSettlement(ledger: FundingLedger, s: FundingSettlement): FundingLedger {
  const d = s.quoteDeltaQuantums;
  return {
    paidQuantums: ledger.paidQuantums + (d < 0n ? -d : 0n),
    receivedQuantums: ledger.receivedQuantums + (d > 0n ? d : 0n),
    netExactScaled: ledger.netExactScaled + s.exactScaled,
    dustScaled: ledger.dustScaled + s.dustScaled,
    sweptQuantums: ledger.sweptQuantums,
  };
}

/** USDC the market's funding pool holds: paid − received − swept (may be < 0 transiently). */
export function fundingPoolQuantums(ledger: FundingLedger): bigint {
  return ledger.paidQuantums - ledger.receivedQuantums - ledger.sweptQuantums;
}

/*
 * Sweep: toInsurance = floor(dustScaled / SCALE); dustScaled −= toInsurance × SCALE.
 *
 * Safe at any time: the pool always exceeds its exact net liability to unsettled positions by
 * dustScaled / SCALE (Σ exact is zero over a full history), and future settlements only add
 * dust, so moving whole quantums of dust out never leaves the pool short of what it owes.
 */
export function sweepFundingDust(ledger: FundingLedger): {
  ledger: FundingLedger;
  toInsuranceQuantums: bigint;
} {
  // Floor: only whole quantums leave; the fraction stays as dust for the next sweep.
  const toInsuranceQuantums = divRound(ledger.dustScaled, FUNDING_INDEX_SCALE, Rounding.Floor);
  return {
    ledger: {
      ...ledger,
      dustScaled: ledger.dustScaled - toInsuranceQuantums * FUNDING_INDEX_SCALE,
      sweptQuantums: ledger.sweptQuantums + toInsuranceQuantums,
    },
    toInsuranceQuantums,
  };
}

/** The ledger identity above; false means a settlement was recorded wrongly. */
export function fundingLedgerConsistent(ledger: FundingLedger): boolean {
  return (
    (ledger.receivedQuantums - ledger.paidQuantums + ledger.sweptQuantums) * FUNDING_INDEX_SCALE +
      ledger.dustScaled ===
      ledger.netExactScaled && ledger.dustScaled >= 0n
  );
}
