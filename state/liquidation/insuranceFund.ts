/**
 * The insurance fund: collects liquidation fees and funding dust, pays liquidation
 * shortfalls within a per-block, per-market cap (DESIGN.md section 6), and is never
 * negative (an invariant). A payout it cannot make is left to deleveraging.
 */
import type { Exchange } from "../exchange/types.js";

/** Per-market payout budget left in this block. */
export type PayoutBudget = Map<string, bigint>;

export function canPay(
  ex: Exchange,
  budget: PayoutBudget,
  market: string,
  amount: bigint,
): boolean {
  return amount <= ex.insuranceFundQuantums && amount <= (budget.get(market) ?? 0n);
}

export function pay(ex: Exchange, budget: PayoutBudget, market: string, amount: bigint): void {
  ex.insuranceFundQuantums -= amount;
  budget.set(market, (budget.get(market) ?? 0n) - amount);
}

export function collect(ex: Exchange, amount: bigint): void {
  ex.insuranceFundQuantums += amount;
}
