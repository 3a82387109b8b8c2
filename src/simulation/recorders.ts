import { Context } from '@temporalio/activity';
import type { ActionRequest, ActivityDependencies } from '../activities/index.js';
import type { GuardrailsClient } from '../clients/temporal/guardrails-client.js';
import { redactSecrets, type AuditEvent } from '../domain/audit/event.js';
import { EMPTY_CONTROLS, evaluateControls, type Controls, type Rule } from '../domain/guardrails/controls.js';
import type { Notification } from '../domain/notification/notification.js';
import { onCall, type Rotation } from '../domain/oncall/rotation.js';
import type { ActionResult } from '../domain/playbook/actions.js';

/** A notification as the simulation saw it go out: when, about what, to whom. */
export interface PageRecord {
  at: string;
  kind: Notification['kind'];
  stepId?: string;
  approvalId?: string;
  tier?: string;
  /** The people it reached (on call for the tier, or the tier's members when no rotation covers it). */
  people: string[];
  dryRun: boolean;
}

/** An action the response asked a worker to perform: nothing was performed, this is what would have run. */
export interface ActionRecord {
  at: string;
  stepId: string;
  kind: string;
  action: string;
  /** As the workflow sent them: `{{secrets.NAME}}` unresolved, secret-looking keys redacted. */
  params: Record<string, unknown>;
  /** The approval tier the mitigation carried, if any. */
  consentTier?: string;
  outcome: 'would-run' | 'interrupted';
}

export interface GuardrailRecord {
  at: string;
  /** The step's kind and action (guardrails judge those, not the step). */
  kind: string;
  action: string;
  blockers: string[];
  requireApproval?: { tier: string; source: string };
  manualOnly?: string;
}

/** What every recorder saw, in order. */
export interface Recordings {
  audit: AuditEvent[];
  pages: PageRecord[];
  actions: ActionRecord[];
  guardrails: GuardrailRecord[];
}

/**
 * Simulated time inside an activity: the server's time (skipped) when the attempt was scheduled,
 * shifted by `offset` when the simulation starts at a time before the server's clock.
 */
export function activityTime(offsetMs: number): number {
  try {
    return Context.current().info.currentAttemptScheduledTimestampMs + offsetMs;
  } catch {
    return Date.now() + offsetMs;
  }
}

export interface RecorderHooks {
  offsetMs: number;
  /** The tier's members by group (principals), for a tier no rotation covers. */
  members(tier: string): string[];
  onPage(page: PageRecord): Promise<void>;
  /** Awaited while a step "runs": scripted people act during it (true when someone did). */
  onStepStarted(stepId: string): Promise<boolean>;
  /** A verdict that blocks: standing rules never lift in a simulation, so it can stop here. */
  onBlocked(record: GuardrailRecord): void;
}

/**
 * The activity dependencies of a simulated worker: audit to memory, notifications to memory,
 * actions recorded and never performed, guardrails evaluated from the standing rules at
 * simulated time, on-call from the roster at simulated time. Nothing leaves the process.
 */
export function recordingDependencies(
  input: {
    playbook: ActivityDependencies['playbooks'];
    policy: ActivityDependencies['policy'];
    roster?: Rotation;
    standingRules: Array<Omit<Rule, 'source'>>;
    trust: NonNullable<ActivityDependencies['trust']>;
  },
  hooks: RecorderHooks,
): { deps: ActivityDependencies; recordings: Recordings } {
  const recordings: Recordings = { audit: [], pages: [], actions: [], guardrails: [] };
  const seenEvents = new Set<string>();
  const seenNotifications = new Set<string>();
  const iso = (ms: number) => new Date(ms).toISOString();
  const shift = (at: string) => iso(Date.parse(at) + hooks.offsetMs);
  const controls: Controls = {
    ...EMPTY_CONTROLS,
    rules: input.standingRules.map((r) => ({ ...r, source: 'file' as const })),
  };

  const guardrails: GuardrailsClient = {
    async ensureRunning() {},
    controls: async () => controls,
    async check(facts) {
      const at = activityTime(hooks.offsetMs);
      const verdict = evaluateControls(controls, facts, at);
      if (verdict.blockers.length || verdict.requireApproval || verdict.manualOnly) {
        const record = { at: iso(at), kind: facts.kind, action: facts.action, ...verdict };
        recordings.guardrails.push(record);
        if (verdict.blockers.length) hooks.onBlocked(record);
      }
      return { ...verdict, version: controls.version };
    },
    watch: () => () => undefined,
    broadcast: async () => 0,
  };

  const deps: ActivityDependencies = {
    playbooks: input.playbook,
    policy: input.policy,
    audit: {
      async indexEvents(events) {
        for (const e of events) {
          if (seenEvents.has(e.eventId)) continue;
          seenEvents.add(e.eventId);
          recordings.audit.push({ ...e, time: shift(e.time) });
        }
      },
    },
    notifier: {
      async send(n) {
        // A retried delivery is one page, not two.
        if (seenNotifications.has(n.id)) return;
        seenNotifications.add(n.id);
        for (const r of n.recipients.length ? n.recipients : [{ tier: undefined, people: [] }]) {
          const page: PageRecord = {
            at: shift(n.at),
            kind: n.kind,
            stepId: n.approval?.stepId ?? n.unknownEffect?.stepId,
            approvalId: n.approval?.id,
            tier: r.tier,
            people: r.people ?? (r.tier ? hooks.members(r.tier) : []),
            dryRun: n.dryRun,
          };
          recordings.pages.push(page);
          await hooks.onPage(page);
        }
      },
    },
    guardrails,
    trust: input.trust,
    onCall: {
      async peopleFor(tier) {
        if (!input.roster?.tiers[tier]) return undefined;
        return onCall(input.roster, tier, activityTime(hooks.offsetMs));
      },
    },
    contacts: () => [],
    performer: (request, stop) => record(request, stop),
  };

  async function record(request: ActionRequest, stop: AbortSignal): Promise<ActionResult> {
    const entry: ActionRecord = {
      at: iso(activityTime(hooks.offsetMs)),
      stepId: request.stepId,
      kind: request.kind,
      action: request.action,
      params: redactSecrets(request.params) as Record<string, unknown>,
      ...(request.consentTier ? { consentTier: request.consentTier } : {}),
      outcome: 'would-run',
    };
    recordings.actions.push(entry);
    const activity = Context.current();
    const beat = setInterval(() => activity.heartbeat(), 100);
    try {
      // What people did while it "ran" (an opt-out) reaches it as a cancellation, through a
      // heartbeat: give that a moment to arrive before calling the step done.
      if (await hooks.onStepStarted(request.stepId))
        for (let i = 0; i < 30 && !stop.aborted; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      if (stop.aborted) {
        entry.outcome = 'interrupted';
        throw stop.reason instanceof Error ? stop.reason : new Error('interrupted');
      }
      return { durationMs: 0, simulated: true } as unknown as ActionResult;
    } finally {
      clearInterval(beat);
    }
  }

  return { deps, recordings };
}
