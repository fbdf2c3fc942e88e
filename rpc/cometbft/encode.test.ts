/**
 * The exact JSON spelling of CometBFT v0.38 (field names and order of the Go structs,
 * int64 as strings, int32 as numbers, HexBytes upper-case, []byte base64, RFC 3339 times).
 */
import { describe, expect, it } from "vitest";
import { toBase64, utf8 } from "../../lib/bytes.js";
import { encodeBlock, encodeBlockResults, encodeValidators } from "./block.js";
import { newBlockEvent, txEvent } from "./events.js";
import { blockAt, FOUR_VALIDATORS, GENESIS, resultsAt, statusAt, txAt } from "./fixtures.js";
import { rfc3339 } from "./json.js";
import { encodeGenesis, encodeNumUnconfirmedTxs, encodeStatus } from "./node.js";
import { encodeBroadcastTx, encodeCheckTx, encodeTx, txHash } from "./tx.js";

const HEX64 = /^[0-9A-F]{64}$/;
const HEX40 = /^[0-9A-F]{40}$/;

describe("CometBFT JSON encoders", () => {
  it("times: RFC 3339, UTC, nanosecond digits", () => {
    expect(rfc3339(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe("2026-01-02T03:04:05.678000000Z");
    expect(rfc3339(0)).toBe("1970-01-01T00:00:00.000000000Z");
  });

  it("block: field order, types and the empty first-height ids", () => {
    const j = encodeBlock(blockAt(1));
    expect(Object.keys(j)).toEqual(["block_id", "block"]);
    expect(Object.keys(j.block)).toEqual(["header", "data", "evidence", "last_commit"]);
    expect(Object.keys(j.block.header)).toEqual([
      "version",
      "chain_id",
      "height",
      "time",
      "last_block_id",
      "last_commit_hash",
      "data_hash",
      "validators_hash",
      "next_validators_hash",
      "consensus_hash",
      "app_hash",
      "last_results_hash",
      "evidence_hash",
      "proposer_address",
    ]);
    expect(j.block.header.version).toEqual({ block: "11", app: "1" });
    expect(j.block.header.height).toBe("1");
    expect(j.block.header.time).toBe("2026-01-01T00:00:01.456000000Z");
    expect(j.block.header.last_block_id).toEqual({ hash: "", parts: { total: 0, hash: "" } });
    expect(j.block.header.last_commit_hash).toBe("");
    expect(j.block.header.data_hash).toMatch(HEX64);
    expect(j.block.header.proposer_address).toMatch(HEX40);
    expect(j.block.data).toEqual({ txs: [] });
    expect(j.block.evidence).toEqual({ evidence: [] });
    expect(j.block.last_commit).toEqual({
      height: "0",
      round: 0,
      block_id: { hash: "", parts: { total: 0, hash: "" } },
      signatures: [],
    });
    expect(j.block_id.hash).toMatch(HEX64);
    expect(j.block_id.parts.total).toBe(1);
  });

  it("block: duplicate-vote evidence in CometBFT's JSON shape", () => {
    const vote = (hash: Uint8Array) => ({
      type: 2,
      height: 7,
      round: 0,
      blockId: hash.length === 0 ? null : { hash, parts: { total: 1, hash } },
      timeMs: 1_767_225_600_000,
      validatorAddress: new Uint8Array(20).fill(0xab),
      validatorIndex: 3,
      signature: new Uint8Array(64).fill(1),
    });
    const j = encodeBlock({
      ...blockAt(8),
      evidence: [{ voteA: vote(new Uint8Array(32).fill(2)), voteB: vote(new Uint8Array(0)) }],
    });
    expect(encodeBlock(blockAt(8)).block.evidence.evidence).toEqual([]);
    const [ev] = j.block.evidence.evidence as {
      type: string;
      value: { vote_a: Record<string, unknown>; vote_b: Record<string, unknown> };
    }[];
    expect(ev.type).toBe("tendermint/DuplicateVoteEvidence");
    expect(ev.value.vote_a).toMatchObject({
      type: 2,
      height: "7",
      round: 0,
      validator_address: "AB".repeat(20),
      validator_index: 3,
      timestamp: "2026-01-01T00:00:00.000000000Z",
    });
    expect((ev.value.vote_a.block_id as { hash: string }).hash).toBe("02".repeat(32));
    expect((ev.value.vote_b.block_id as { hash: string }).hash).toBe("");
  });

  it("block: txs base64, commit signatures (present and absent)", () => {
    const j = encodeBlock(blockAt(3));
    expect(j.block.data.txs).toEqual([toBase64(utf8("tx-3-0")), toBase64(utf8("tx-3-1"))]);
    const lc = j.block.last_commit;
    expect(lc.height).toBe("2");
    expect(lc.round).toBe(0);
    expect(Object.keys(lc.signatures[0])).toEqual([
      "block_id_flag",
      "validator_address",
      "timestamp",
      "signature",
    ]);
    expect(lc.signatures[0].block_id_flag).toBe(2);
    expect(lc.signatures[0].validator_address).toMatch(HEX40);
    expect(lc.signatures[0].timestamp).toBe("2026-01-01T00:00:02.123000000Z");
    expect(Buffer.from(lc.signatures[0].signature ?? "", "base64")).toHaveLength(64);
    expect(lc.signatures[3]).toEqual({
      block_id_flag: 1,
      validator_address: "",
      timestamp: "0001-01-01T00:00:00Z",
      signature: null,
    });
  });

  it("block_results: int64 strings, ABCI events with index, protobuf validator keys", () => {
    const j = encodeBlockResults(resultsAt(3));
    expect(Object.keys(j)).toEqual([
      "height",
      "txs_results",
      "finalize_block_events",
      "validator_updates",
      "consensus_param_updates",
      "app_hash",
    ]);
    expect(j.height).toBe("3");
    expect(j.txs_results[0]).toEqual({
      code: 0,
      data: toBase64(utf8("result-3-0")),
      log: "",
      info: "",
      gas_wanted: "0",
      gas_used: "0",
      events: [
        {
          type: "fill",
          attributes: [
            { key: "market", value: "BTC-USD", index: true },
            { key: "price", value: "50000.5", index: true },
          ],
        },
      ],
      codespace: "",
    });
    expect(j.validator_updates[0]).toEqual({
      pub_key: {
        Sum: {
          type: "tendermint.crypto.PublicKey_Ed25519",
          value: { ed25519: toBase64(FOUR_VALIDATORS[0].pubKey) },
        },
      },
      power: "20",
    });
    expect(j.consensus_param_updates).toBeNull();
    expect(j.app_hash).toBe(toBase64(resultsAt(3).appHash));
  });

  it("validators: counts as strings, amino pub keys", () => {
    const j = encodeValidators(7, FOUR_VALIDATORS.slice(0, 2), 4);
    expect(j.block_height).toBe("7");
    expect(j.count).toBe("2");
    expect(j.total).toBe("4");
    expect(j.validators[0]).toEqual({
      address: Buffer.from(FOUR_VALIDATORS[0].address).toString("hex").toUpperCase(),
      pub_key: { type: "tendermint/PubKeyEd25519", value: toBase64(FOUR_VALIDATORS[0].pubKey) },
      voting_power: "10",
      proposer_priority: "-2",
    });
  });

  it("status: node_info, sync_info, validator_info", () => {
    const j = encodeStatus(statusAt(5));
    expect(Object.keys(j)).toEqual(["node_info", "sync_info", "validator_info"]);
    expect(j.node_info.protocol_version).toEqual({ p2p: "8", block: "11", app: "1" });
    expect(j.node_info.id).toMatch(/^[0-9a-f]{40}$/);
    expect(j.node_info.channels).toBe("40202122");
    expect(j.node_info.other).toEqual({ tx_index: "on", rpc_address: "tcp://127.0.0.1:26657" });
    expect(j.sync_info.latest_block_height).toBe("5");
    expect(j.sync_info.latest_block_hash).toMatch(HEX64);
    expect(j.sync_info.latest_block_time).toBe("2026-01-01T00:00:05.456000000Z");
    expect(j.sync_info.catching_up).toBe(false);
    expect(j.validator_info.voting_power).toBe("10");
    const empty = encodeStatus({
      ...statusAt(5),
      syncInfo: { ...statusAt(5).syncInfo, latestBlockHeight: 0, earliestBlockHeight: 0 },
    });
    expect(empty.sync_info.latest_block_time).toBe("0001-01-01T00:00:00Z");
  });

  it("tx, broadcast_tx_sync, check_tx", () => {
    const t = encodeTx(txAt(4, 1));
    expect(Object.keys(t)).toEqual(["hash", "height", "index", "tx_result", "tx"]);
    expect(t.hash).toMatch(HEX64);
    expect(t.height).toBe("4");
    expect(t.index).toBe(1);
    expect(t.tx_result.code).toBe(301);
    const tx = utf8("x");
    expect(encodeBroadcastTx(tx, { code: 202, log: "insufficient funds" })).toEqual({
      code: 202,
      data: "",
      log: "insufficient funds",
      codespace: "",
      hash: Buffer.from(txHash(tx)).toString("hex").toUpperCase(),
    });
    expect(Object.keys(encodeCheckTx({ code: 0, log: "" }))).toEqual([
      "code",
      "data",
      "log",
      "info",
      "gas_wanted",
      "gas_used",
      "events",
      "codespace",
    ]);
  });

  it("genesis and num_unconfirmed_txs", () => {
    const g = encodeGenesis(GENESIS).genesis;
    expect(g.genesis_time).toBe("2026-01-01T00:00:00.000000000Z");
    expect(g.initial_height).toBe("1");
    expect(g.consensus_params.block).toEqual({ max_bytes: "4194304", max_gas: "-1" });
    expect(g.consensus_params.abci).toEqual({ vote_extensions_enable_height: "1" });
    expect(g.validators[0].power).toBe("10");
    expect(g.app_hash).toBe("");
    expect(encodeNumUnconfirmedTxs({ count: 3, totalBytes: 300 })).toEqual({
      n_txs: "3",
      total: "3",
      total_bytes: "300",
      txs: null,
    });
  });

  it("NewBlock and Tx event payloads with their composite keys", () => {
    const nb = newBlockEvent(blockAt(3), resultsAt(3));
    expect(nb.height).toBe(3);
    const data = nb.data as { type: string; value: Record<string, unknown> };
    expect(data.type).toBe("tendermint/event/NewBlock");
    expect(Object.keys(data.value)).toEqual(["block", "block_id", "result_finalize_block"]);
    expect(Object.keys(data.value.result_finalize_block as object)).toEqual([
      "events",
      "tx_results",
      "validator_updates",
      "consensus_param_updates",
      "app_hash",
    ]);
    expect(nb.events?.["tm.event"]).toEqual(["NewBlock"]);
    expect(nb.events?.["oracle.BTC-USD"]).toEqual(["50000.25"]);
    const te = txEvent(txAt(3, 0));
    expect(te.data).toMatchObject({
      type: "tendermint/event/Tx",
      value: { TxResult: { height: "3", index: 0, tx: toBase64(utf8("tx-3-0")) } },
    });
    expect(te.events?.["tx.hash"]?.[0]).toMatch(HEX64);
    expect(te.events?.["tx.height"]).toEqual(["3"]);
    expect(te.events?.["fill.market"]).toEqual(["BTC-USD"]);
  });
});
