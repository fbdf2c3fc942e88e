/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as in zlib and CometBFT's WAL.
 *
 * Computed by zlib (`zlib.crc32`, Node ≥ 20.15): the WAL checksums every consensus record,
 * proposals with their whole block included, and at devnet load a table-driven JavaScript
 * loop was ~1 % of a node's CPU. The tests hold it against such a loop (fileWal.test.ts).
 */
import { crc32 as zlibCrc32 } from "node:zlib";

export function crc32(data: Uint8Array): number {
  return zlibCrc32(data) >>> 0;
}
