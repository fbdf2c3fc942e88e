/** Encoders for node-level results: `status`, `net_info`, `genesis`, `health`, mempool counts. */
import { toHex } from "../../lib/bytes.js";
import { type ConsensusParamsJson, encodeConsensusParams } from "./block.js";
import { hexUpper, int64, type PubKeyJson, pubKey, rfc3339, ZERO_TIME } from "./json.js";
import type {
  GenesisView,
  MempoolView,
  NetInfoView,
  NodeInfoView,
  NodeStatusView,
} from "./views.js";

export interface NodeInfoJson {
  protocol_version: { p2p: string; block: string; app: string };
  id: string;
  listen_addr: string;
  network: string;
  version: string;
  channels: string;
  moniker: string;
  other: { tx_index: "on" | "off"; rpc_address: string };
}

export function encodeNodeInfo(n: NodeInfoView): NodeInfoJson {
  return {
    protocol_version: {
      p2p: int64(n.protocolVersion.p2p),
      block: int64(n.protocolVersion.block),
      app: int64(n.protocolVersion.app),
    },
    // CometBFT node ids are lower-case hex (p2p.ID), unlike HexBytes.
    id: toHex(n.id),
    listen_addr: n.listenAddr,
    network: n.network,
    version: n.version,
    channels: hexUpper(n.channels),
    moniker: n.moniker,
    other: { tx_index: n.txIndex ? "on" : "off", rpc_address: n.rpcAddress },
  };
}

export interface StatusJson {
  node_info: NodeInfoJson;
  sync_info: {
    latest_block_hash: string;
    latest_app_hash: string;
    latest_block_height: string;
    latest_block_time: string;
    earliest_block_hash: string;
    earliest_app_hash: string;
    earliest_block_height: string;
    earliest_block_time: string;
    catching_up: boolean;
  };
  validator_info: { address: string; pub_key: PubKeyJson; voting_power: string };
}

/** `status` result. Before the first block, times are Go's zero time. */
export function encodeStatus(s: NodeStatusView): StatusJson {
  const si = s.syncInfo;
  const time = (height: number, ms: number) => (height > 0 ? rfc3339(ms) : ZERO_TIME);
  return {
    node_info: encodeNodeInfo(s.nodeInfo),
    sync_info: {
      latest_block_hash: hexUpper(si.latestBlockHash),
      latest_app_hash: hexUpper(si.latestAppHash),
      latest_block_height: int64(si.latestBlockHeight),
      latest_block_time: time(si.latestBlockHeight, si.latestBlockTimeMs),
      earliest_block_hash: hexUpper(si.earliestBlockHash),
      earliest_app_hash: hexUpper(si.earliestAppHash),
      earliest_block_height: int64(si.earliestBlockHeight),
      earliest_block_time: time(si.earliestBlockHeight, si.earliestBlockTimeMs),
      catching_up: si.catchingUp,
    },
    validator_info: {
      address: hexUpper(s.validatorInfo.address),
      pub_key: pubKey(s.validatorInfo.pubKey),
      voting_power: int64(s.validatorInfo.votingPower),
    },
  };
}

/** `health` result: an empty object when the node is up (errors mean it is not). */
export function encodeHealth(): Record<string, never> {
  return {};
}

export interface NetInfoJson {
  listening: boolean;
  listeners: string[];
  n_peers: string;
  peers: {
    node_info: NodeInfoJson;
    is_outbound: boolean;
    connection_status: { Duration: string };
    remote_ip: string;
  }[];
}

/**
 * `net_info` result. CometBFT's connection_status carries MConnection flow statistics that
 * libp2p does not have; only its Duration (nanoseconds) is reported.
 */
export function encodeNetInfo(n: NetInfoView): NetInfoJson {
  return {
    listening: n.listening,
    listeners: [...n.listeners],
    n_peers: int64(n.peers.length),
    peers: n.peers.map((p) => ({
      node_info: encodeNodeInfo(p.nodeInfo),
      is_outbound: p.isOutbound,
      connection_status: { Duration: (BigInt(Math.trunc(p.connectedMs)) * 1_000_000n).toString() },
      remote_ip: p.remoteIp,
    })),
  };
}

export interface GenesisJson {
  genesis: {
    genesis_time: string;
    chain_id: string;
    initial_height: string;
    consensus_params: ConsensusParamsJson;
    validators: { address: string; pub_key: PubKeyJson; power: string; name: string }[];
    app_hash: string;
    app_state: unknown;
  };
}

/** `genesis` result. */
export function encodeGenesis(g: GenesisView): GenesisJson {
  return {
    genesis: {
      genesis_time: rfc3339(g.genesisTimeMs),
      chain_id: g.chainId,
      initial_height: int64(g.initialHeight),
      consensus_params: encodeConsensusParams(g.consensusParams),
      validators: g.validators.map((v) => ({
        address: hexUpper(v.address),
        pub_key: pubKey(v.pubKey),
        power: int64(v.power),
        name: v.name,
      })),
      app_hash: hexUpper(g.appHash),
      app_state: g.appState,
    },
  };
}

/** `num_unconfirmed_txs` result (txs is null: this method never lists them). */
export function encodeNumUnconfirmedTxs(m: MempoolView): {
  n_txs: string;
  total: string;
  total_bytes: string;
  txs: null;
} {
  return {
    n_txs: int64(m.count),
    total: int64(m.count),
    total_bytes: int64(m.totalBytes),
    txs: null,
  };
}
