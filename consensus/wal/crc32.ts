/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as in zlib and CometBFT's WAL.
 *
 * Computed by zlib (`zlib.crc32`, Node ≥ 20.15): the WAL checksums every consensus record,
 * proposals with their whole block included, and at devnet load the table-driven loop below
 * was ~1 % of a node's CPU. The loop stays as the reference the tests hold zlib's against.
 */
import { crc32 as zlibCrc32 } from "node:zlib";

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32(data: Uint8Array): number {
  return zlibCrc32(data) >>> 0;
}

/** The same checksum, a byte at a time (the reference). */
export function crc32Reference(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
