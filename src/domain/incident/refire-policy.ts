import { z } from 'zod';

/**
 * Re-fires of an ended incident. An alert for an incident whose response has ended (a repeat, a
 * flapping alert, a late "resolved") must not silently run the playbook again: it is recorded on
 * the incident, and whether it opens a new response is this policy's decision. A person can
 * always start one explicitly (POST /v1/incidents/:id/restart), past every limit here.
 */
export interface RefirePolicy {
  /** How long after a response ended an alert may open a new one by itself. */
  quietPeriodMs: number;
  /** Responses an incident key may get from alerts alone within an hour (its first one included). */
  maxAutomatedPerHour: number;
}

export const DEFAULT_REFIRE_POLICY: RefirePolicy = { quietPeriodMs: 15 * 60_000, maxAutomatedPerHour: 3 };

export interface RefireFacts {
  /** The delivery's own status: a "resolved" notification never starts anything. */
  status: 'firing' | 'resolved';
  /** When the incident's latest response ended. */
  lastEndedAt: Date;
  /** Responses of this incident started by alerts (not by a person) within the last hour. */
  automatedStartsLastHour: number;
  now: Date;
}

export type RefireDecision = { start: true; reason: string } | { start: false; reason: string };

const minutes = (ms: number) =>
  ms >= 60_000 ? `${Math.round(ms / 6_000) / 10} min` : `${Math.max(0, Math.round(ms / 100) / 10)} s`;

/** Pure: whether this re-fire opens a new response, and why (the reason is shown and audited). */
export function decideRefire(facts: RefireFacts, policy: RefirePolicy): RefireDecision {
  if (facts.status === 'resolved')
    return { start: false, reason: 'a resolved notification never starts a response; recorded on the incident' };
  const quietFor = facts.now.getTime() - facts.lastEndedAt.getTime();
  if (quietFor < policy.quietPeriodMs)
    return {
      start: false,
      reason:
        `the last response ended ${minutes(quietFor)} ago; alerts open a new one only after ` +
        `${minutes(policy.quietPeriodMs)} of quiet (a responder may restart it now)`,
    };
  if (facts.automatedStartsLastHour >= policy.maxAutomatedPerHour)
    return {
      start: false,
      reason:
        `${facts.automatedStartsLastHour} automated responses for this incident within the last hour ` +
        `(at most ${policy.maxAutomatedPerHour}): a responder must restart it`,
    };
  return {
    start: true,
    reason: `the last response ended ${minutes(quietFor)} ago and ${facts.automatedStartsLastHour} of ${policy.maxAutomatedPerHour} automated responses this hour were used`,
  };
}

/** How a response was started, kept in its Temporal memo so later decisions can count them. */
export const START_MEMO_KEY = 'interlockStartedBy';
export type StartedBy = 'alert' | 'refire' | 'restart';
export const isAutomatedStart = (startedBy: unknown): boolean => startedBy !== 'restart';

/** A responder's explicit request to start a new response for an ended incident. */
export const restartInputSchema = z
  .object({ reason: z.string().trim().min(3, 'say why (at least 3 characters)').max(2000) })
  .strict();
export type RestartInput = z.infer<typeof restartInputSchema>;
