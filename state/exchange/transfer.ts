/**
 * transfer and faucet. A transfer moves USDC quote balance between accounts; the sender
 * must keep its initial margin requirement met (DESIGN.md section 6) and transfers out are
 * blocked for 50 blocks after any account showed negative equity (dYdX v4's withdrawal
 * gating after a negative-TNC subaccount). The faucet mints test USDC, only when genesis
 * enables it, and counts the mint so USDC conservation still balances.
 */
import { ErrorCode, fail } from "../../lib/errors.js";
import { formatUsdc, parseUsdc } from "../../lib/fixed.js";
import { equityQuantums, marginRequirements } from "../margin/index.js";
import type { FaucetMsg, TransferMsg } from "../types/tx.js";
import { getOrCreateAccount } from "./accounts.js";
import { type BlockCtx, event, touchGlobals } from "./context.js";
import { type MsgResult, ok } from "./results.js";
import type { AccountRec, Exchange } from "./types.js";

export function transfer(
  ex: Exchange,
  ctx: BlockCtx,
  from: AccountRec,
  msg: TransferMsg,
): MsgResult {
  const amount = parseUsdc(msg.amount, { field: "amount", allowZero: false });
  if (msg.to === from.address) fail(ErrorCode.SELF_TRANSFER, "cannot transfer to yourself");
  if (ctx.height <= ex.withdrawalsGatedUntil) {
    fail(
      ErrorCode.WITHDRAWALS_GATED,
      `transfers out are blocked until height ${ex.withdrawalsGatedUntil + 1} after an account showed negative equity`,
    );
  }
  const after = { ...from, quoteBalance: from.quoteBalance - amount };
  const equity = equityQuantums(after, ex.markets);
  const imr = marginRequirements(after.positions, ex.markets).initialQuantums;
  if (equity < imr || (after.positions.length === 0 && after.quoteBalance < 0n)) {
    fail(
      from.positions.length === 0 ? ErrorCode.INSUFFICIENT_FUNDS : ErrorCode.INSUFFICIENT_MARGIN,
      `transfer of ${msg.amount} USDC would leave equity ${formatUsdc(equity)} below the initial margin ${formatUsdc(imr)}`,
    );
  }
  const to = getOrCreateAccount(ex, msg.to, ctx.dirty);
  from.quoteBalance -= amount;
  to.quoteBalance += amount;
  ctx.dirty.accounts.add(from.address);
  ctx.dirty.accounts.add(to.address);
  ctx.events.push(
    event("transfer", { from: from.address, to: to.address, amount: formatUsdc(amount) }),
  );
  return ok(`transferred ${formatUsdc(amount)} USDC`);
}

export function faucet(ex: Exchange, ctx: BlockCtx, to: AccountRec, msg: FaucetMsg): MsgResult {
  if (!ex.faucet.enabled)
    fail(ErrorCode.FAUCET_DISABLED, "the faucet is not enabled on this chain");
  const amount = parseUsdc(msg.amount, { field: "amount", allowZero: false });
  if (amount > ex.faucet.maxAmountQuantums) {
    fail(
      ErrorCode.INVALID_FIELD,
      `amount: at most ${formatUsdc(ex.faucet.maxAmountQuantums)} USDC per request`,
    );
  }
  to.quoteBalance += amount;
  ex.mintedQuantums += amount;
  ctx.dirty.accounts.add(to.address);
  touchGlobals(ctx);
  ctx.events.push(event("faucet", { to: to.address, amount: formatUsdc(amount) }));
  return ok(`minted ${formatUsdc(amount)} USDC`);
}
