/**
 * Timeout durations. The paper (arXiv 1807.04938, section 4 and Algorithm 1 lines 57-67)
 * requires timeoutPropose/Prevote/Precommit(r) to grow with r so that after GST some round
 * is long enough for correct processes to hear each other: base + delta × round.
 * `commitMs` is CometBFT's timeout_commit, the pause after a decision that lets late
 * precommits arrive before the next height starts.
 */
export interface TimeoutConfig {
  readonly proposeMs: number;
  readonly proposeDeltaMs: number;
  readonly prevoteMs: number;
  readonly prevoteDeltaMs: number;
  readonly precommitMs: number;
  readonly precommitDeltaMs: number;
  readonly commitMs: number;
}

export const DEFAULT_TIMEOUTS: TimeoutConfig = {
  proposeMs: 3000,
  proposeDeltaMs: 500,
  prevoteMs: 1000,
  prevoteDeltaMs: 500,
  precommitMs: 1000,
  precommitDeltaMs: 500,
  commitMs: 1000,
};

export type TimeoutStep = "propose" | "prevote" | "precommit" | "commit";

export function timeoutDuration(cfg: TimeoutConfig, step: TimeoutStep, round: number): number {
  switch (step) {
    case "propose":
      return cfg.proposeMs + cfg.proposeDeltaMs * round;
    case "prevote":
      return cfg.prevoteMs + cfg.prevoteDeltaMs * round;
    case "precommit":
      return cfg.precommitMs + cfg.precommitDeltaMs * round;
    case "commit":
      return cfg.commitMs;
  }
}
