/**
 * The loopback layout of `perpetua testnet` and `perpetua devnet` (DESIGN.md section 5):
 * node i listens for libp2p on 127.0.0.1:(P + 10·i) and for RPC on 127.0.0.1:(P + 1 + 10·i),
 * P = 26656 by default, so node0 serves RPC on 26657, node1 on 26667, …
 */
import { checkPeerMultiaddr } from "./schema.js";

export const DEFAULT_BASE_PORT = 26656;

export interface TestnetPorts {
  p2pPort: number;
  rpcPort: number;
  /** For config.p2p.listen */
  p2pListen: string;
  /** For config.rpc.listen */
  rpcListen: string;
}

export function testnetPorts(index: number, basePort = DEFAULT_BASE_PORT): TestnetPorts {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError("node index must be >= 0");
  const p2pPort = basePort + 10 * index;
  const rpcPort = p2pPort + 1;
  if (basePort < 1 || rpcPort > 65535) {
    throw new RangeError(`ports ${p2pPort}/${rpcPort} out of range for node ${index}`);
  }
  return {
    p2pPort,
    rpcPort,
    p2pListen: `/ip4/127.0.0.1/tcp/${p2pPort}`,
    rpcListen: `127.0.0.1:${rpcPort}`,
  };
}

/** A persistent-peer multiaddr for config.p2p.peers. */
export function peerAddress(host: string, port: number, peerId: string): string {
  const proto = /^\d+(\.\d+){3}$/.test(host) ? "ip4" : host.includes(":") ? "ip6" : "dns4";
  const addr = `/${proto}/${host}/tcp/${port}/p2p/${peerId}`;
  const err = checkPeerMultiaddr(addr);
  if (err !== undefined) throw new RangeError(`${addr}: ${err}`);
  return addr;
}

/**
 * The config.json overrides of node `index` in an N-node loopback testnet: its ports,
 * every other node as a persistent peer, and signatures verified on the event loop (the N
 * nodes share this machine's cores: a thread hand-off per signature is overhead there).
 */
export function testnetNodeConfig(
  index: number,
  peerIds: readonly string[],
  basePort = DEFAULT_BASE_PORT,
): {
  moniker: string;
  rpc: { listen: string };
  p2p: { listen: string; peers: string[] };
  mempool: { verifyThreads: number };
} {
  const own = testnetPorts(index, basePort);
  const peers = peerIds.flatMap((id, j) =>
    j === index ? [] : [peerAddress("127.0.0.1", testnetPorts(j, basePort).p2pPort, id)],
  );
  return {
    moniker: `node${index}`,
    rpc: { listen: own.rpcListen },
    p2p: { listen: own.p2pListen, peers },
    mempool: { verifyThreads: 0 },
  };
}
