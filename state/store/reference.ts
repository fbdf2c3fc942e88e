/**
 * The obviously-correct reference for the tree: the root of a key set computed from
 * scratch by the definition in proof.ts, with no incremental state. Tests compare the
 * incremental tree against it on random histories.
 */
import { compareBytes } from "../../lib/bytes.js";
import { EMPTY_ROOT, internalHash, keyHashOf, leafHash, nibbleAt, valueHashOf } from "./proof.js";

interface Hashed {
  kh: Uint8Array;
  vh: Uint8Array;
}

function subtree(items: Hashed[], depth: number): Uint8Array {
  if (items.length === 1) return leafHash(items[0].kh, items[0].vh);
  let bitmap = 0;
  const children: Uint8Array[] = [];
  for (let n = 0; n < 16; n++) {
    const part = items.filter((it) => nibbleAt(it.kh, depth) === n);
    if (part.length === 0) continue;
    bitmap |= 1 << n;
    children.push(subtree(part, depth + 1));
  }
  return internalHash(bitmap, children);
}

export function referenceRoot(entries: Iterable<[key: Uint8Array, value: Uint8Array]>): Uint8Array {
  const items: Hashed[] = [];
  for (const [k, v] of entries) items.push({ kh: keyHashOf(k), vh: valueHashOf(v) });
  items.sort((a, b) => compareBytes(a.kh, b.kh));
  for (let i = 1; i < items.length; i++) {
    if (compareBytes(items[i - 1].kh, items[i].kh) === 0) throw new TypeError("duplicate key");
  }
  return items.length === 0 ? EMPTY_ROOT : subtree(items, 0);
}
