/** Account lookup and creation (owner ids are interned in creation order, never reused). */
import type { AccountRec, Dirty, Exchange } from "./types.js";

export function getOrCreateAccount(ex: Exchange, address: string, dirty: Dirty): AccountRec {
  let a = ex.accounts.get(address);
  if (!a) {
    a = { address, ownerId: ex.owners.length, quoteBalance: 0n, positions: [], nonces: [] };
    ex.owners.push(address);
    ex.accounts.set(address, a);
    dirty.accounts.add(address);
  }
  return a;
}

export function accountByOwner(ex: Exchange, ownerId: number): AccountRec {
  return ex.accounts.get(ex.owners[ownerId])!;
}
