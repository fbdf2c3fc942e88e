/** The node's networking: import from here. See README.md for topics, protocols and limits. */
import "./polyfill.js";

export {
  BAN_POINTS,
  type BlockSource,
  type GossipHandler,
  P2PHost,
  type P2PHostDeps,
  type P2PHostEvents,
  type P2PHostOptions,
  PENALTY_POINTS,
  type PeerInfo,
  type StatusSource,
  type TxSource,
  type Verdict,
} from "./host.js";
export { generateNodeKey, peerIdFromNodeKey, privateKeyFromNodeKey } from "./keys.js";
export {
  type P2PCounter,
  P2PMetrics,
  type P2PMetricsSink,
  type P2PMetricsSnapshot,
} from "./metrics.js";
export {
  DEFAULT_REQRESP_LIMITS,
  type ItemSource,
  P2PRequestError,
  type PeerStatus,
  RemoteErrorCode,
  type ReqRespLimits,
  type RequestErrorCode,
  TX_HASH_BYTES,
} from "./reqresp.js";
export { SCORE_THRESHOLDS } from "./scoring.js";
export {
  DEFAULT_TOPIC_MAX_BYTES,
  type ProtocolKind,
  protocolId,
  TOPIC_KINDS,
  type TopicKind,
  topicName,
} from "./topics.js";
