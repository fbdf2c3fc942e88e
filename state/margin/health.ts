/**
 * Liquidation condition and the order in which liquidatable accounts are processed.
 *
 * Source: dYdX v4 lib/margin Risk.IsLiquidatable (MMR > 0 and NC < MMR); ordering by
 * equity / MMR ascending with ties by address is DESIGN.md section 6 (dYdX orders its
 * liquidation queue by a similar collateralization ratio).
 */

/* liquidatable ⇔ MMR > 0 ∧ equity < MMR */
export function isLiquidatable(equityQuantums: bigint, maintenanceQuantums: bigint): boolean {
  return maintenanceQuantums > 0n && equityQuantums < maintenanceQuantums;
}

/** equity / MMR as an exact fraction; `den` > 0. */
export interface HealthRatio {
  readonly num: bigint;
  readonly den: bigint;
}

/* health = equity / MMR; undefined when MMR = 0 (no positions at risk: infinitely healthy) */
export function healthRatio(
  equityQuantums: bigint,
  maintenanceQuantums: bigint,
): HealthRatio | undefined {
  return maintenanceQuantums > 0n ? { num: equityQuantums, den: maintenanceQuantums } : undefined;
}

export interface HealthKey {
  readonly address: string;
  readonly equityQuantums: bigint;
  readonly maintenanceQuantums: bigint;
}

/*
 * Ascending equity/MMR compared exactly by cross-multiplication (a.eq × b.mmr vs b.eq × a.mmr,
 * both MMR > 0); MMR = 0 sorts last; ties by address ascending. A total order, so sorting
 * with it is deterministic.
 */
export function compareLiquidationOrder(a: HealthKey, b: HealthKey): number {
  const aInf = a.maintenanceQuantums <= 0n;
  const bInf = b.maintenanceQuantums <= 0n;
  if (aInf !== bInf) return aInf ? 1 : -1;
  if (!aInf) {
    const l = a.equityQuantums * b.maintenanceQuantums;
    const r = b.equityQuantums * a.maintenanceQuantums;
    if (l !== r) return l < r ? -1 : 1;
  }
  return a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
}
