/**
 * Bytes as a latin1 string (one UTF-16 code unit per byte), used as a Map key.
 *
 * JavaScript compares strings by UTF-16 code units, so for these strings `<` is exactly
 * the lexicographic byte order of the keys they stand for: a sorted array of them is a
 * sorted key space, with no comparator callback.
 */
export function keyString(bytes: Uint8Array): string {
  // apply() on a typed array spreads it as char codes; chunked to stay under argument limits.
  if (bytes.length <= 4096) {
    return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  let s = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  }
  return s;
}
