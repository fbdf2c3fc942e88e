/**
 * Gossipsub peer scoring (gossipsub v1.1, libp2p/specs pubsub/gossipsub/gossipsub-v1.1.md).
 *
 * Thresholds are Lodestar's (ChainSafe/lodestar,
 * packages/beacon-node/src/network/gossip/scoringParameters.ts, `gossipScoreThresholds`, which
 * in turn follow Lighthouse): gossip -4000, publish -8000, graylist -16000, accept PX 100,
 * opportunistic graft 5.
 *
 * Topic parameters follow the same file's shape: time in mesh worth at most 10, first message
 * deliveries at most 40, so the best positive score is `maxPositiveScore = 50 × Σ topicWeight`,
 * and an invalid message costs `invalidMessageDeliveriesWeight = -maxPositiveScore /
 * topicWeight` per squared count (Lodestar's formula). With our two topics of weight 0.5 a peer
 * falls below the gossip threshold after 9 invalid messages on one topic and is graylisted
 * (its RPCs are dropped unread) after 18; the host also disconnects and bans graylisted peers.
 *
 * Mesh delivery penalties (P3/P3b) are off, as Lodestar does for low-rate topics: a validator
 * network is small and bursty (no transactions for a while is normal), and P3 would punish
 * honest quiet peers. Validators checked by the application (checkTx, vote signatures)
 * return "ignore" for state-dependent failures (stale nonce, already included) and "reject"
 * only for what an honest relay could never forward (bad encoding, bad signature, oversize),
 * so honest peers do not accumulate P4.
 */
import type {
  PeerScoreParams,
  PeerScoreThresholds,
  TopicScoreParams,
} from "@libp2p/gossipsub/score";

export const SCORE_THRESHOLDS: PeerScoreThresholds = {
  gossipThreshold: -4000,
  publishThreshold: -8000,
  graylistThreshold: -16000,
  acceptPXThreshold: 100,
  opportunisticGraftThreshold: 5,
};

/** Scores decay once per second (gossipsub's heartbeat); a counter decays to 1% in `ms`. */
const DECAY_INTERVAL_MS = 1000;
const DECAY_TO_ZERO = 0.01;

function decayOver(ms: number): number {
  return DECAY_TO_ZERO ** (DECAY_INTERVAL_MS / ms);
}

const MAX_IN_MESH_SCORE = 10;
const MAX_FIRST_MESSAGE_DELIVERIES_SCORE = 40;
export const TOPIC_WEIGHT = 0.5;

/** Score parameters for one gossip topic (see the module comment for the derivation). */
export function topicScoreParams(topicCount: number): TopicScoreParams {
  const maxPositiveScore =
    (MAX_IN_MESH_SCORE + MAX_FIRST_MESSAGE_DELIVERIES_SCORE) * TOPIC_WEIGHT * topicCount;
  const timeInMeshCap = 3600; // quanta of 1 s: full credit after an hour in the mesh
  return {
    topicWeight: TOPIC_WEIGHT,
    timeInMeshWeight: MAX_IN_MESH_SCORE / timeInMeshCap,
    timeInMeshQuantum: 1000,
    timeInMeshCap,
    firstMessageDeliveriesWeight: 1,
    firstMessageDeliveriesDecay: decayOver(10 * 60_000),
    firstMessageDeliveriesCap: MAX_FIRST_MESSAGE_DELIVERIES_SCORE,
    meshMessageDeliveriesWeight: 0,
    meshMessageDeliveriesDecay: 0,
    meshMessageDeliveriesCap: 0,
    meshMessageDeliveriesThreshold: 0,
    meshMessageDeliveriesWindow: 0,
    meshMessageDeliveriesActivation: 0,
    meshFailurePenaltyWeight: 0,
    meshFailurePenaltyDecay: 0,
    invalidMessageDeliveriesWeight: -maxPositiveScore / TOPIC_WEIGHT,
    // An invalid-message count halves roughly every 9 minutes: a graylisted peer needs about
    // an hour of good behaviour to be heard again.
    invalidMessageDeliveriesDecay: decayOver(60 * 60_000),
  };
}

/**
 * Peer score parameters for the given topics. `appSpecificScore` carries the host's local
 * penalties (malformed request frames, wrong chain id, ...) into the gossip score.
 */
export function peerScoreParams(
  topics: readonly string[],
  appSpecificScore: (peerId: string) => number,
): Partial<PeerScoreParams> {
  const perTopic = topicScoreParams(topics.length);
  const maxPositiveScore =
    (MAX_IN_MESH_SCORE + MAX_FIRST_MESSAGE_DELIVERIES_SCORE) * TOPIC_WEIGHT * topics.length;
  const topicScoreCap = maxPositiveScore / 2; // Lodestar: half the best positive score
  return {
    topics: Object.fromEntries(topics.map((t) => [t, { ...perTopic }])),
    topicScoreCap,
    appSpecificScore,
    appSpecificWeight: 1,
    // Validators of a devnet or a test all sit on loopback: do not punish colocation there.
    IPColocationFactorWeight: -topicScoreCap,
    IPColocationFactorThreshold: 3,
    IPColocationFactorWhitelist: new Set(["127.0.0.1", "::1"]),
    // Broken IWANT promises and GRAFTs during backoff. Lodestar derives the weight from its
    // 12 s slots (≈ -15.9 with a threshold of 6); we keep that value and the threshold.
    behaviourPenaltyWeight: -15.9,
    behaviourPenaltyThreshold: 6,
    behaviourPenaltyDecay: decayOver(10 * 60_000),
    decayInterval: DECAY_INTERVAL_MS,
    decayToZero: DECAY_TO_ZERO,
    retainScore: 60 * 60_000, // remember a disconnected peer's score for an hour
  };
}
