import { CancellationScope, condition } from '@temporalio/workflow';
import { CLOSING_TYPES, eventHash, GENESIS_HASH } from '../../domain/audit/chain.js';
import type { AuditEvent, AuditEventType } from '../../domain/audit/event.js';

type EventFields = Omit<
  AuditEvent,
  | 'eventId'
  | 'sequence'
  | 'time'
  | 'incidentId'
  | 'workflowId'
  | 'type'
  | 'service'
  | 'environment'
  | 'severity'
  | 'prevHash'
  | 'hash'
>;

/**
 * Audit events live in workflow state first (durable with the history), then a background pump
 * indexes them through an activity that retries forever. OpenSearch being down therefore delays
 * indexing but never loses an event, and never blocks a mitigation or an opt-out.
 */
export class AuditTrail {
  readonly events: AuditEvent[] = [];
  private indexed = 0;
  /** Where the chain stands when a run continues an earlier one (continue-as-new). */
  private readonly offset: number;
  private readonly startHash: string;
  private closing = false;
  /** Paused: no new batch starts (a continuation takes what is left); busy: a batch is out. */
  private paused = false;
  private busy = false;
  private pump: Promise<void> | undefined;
  /** Told of each event as it is recorded (metrics); must not throw, and must issue no commands. */
  observer: ((event: AuditEvent) => void) | undefined;
  /**
   * Adds the analytics facets (playbook, step's action kind, tier, durations) to each event as
   * it is recorded. Set only in runs that began with it (a patch): the facets are hashed content,
   * so replaying an older response without them keeps the hashes its stored events have.
   */
  enrich: ((type: AuditEventType, fields: EventFields) => Partial<AuditEvent>) | undefined;

  constructor(
    private readonly identity: { incidentId: string; workflowId: string; runKey: string },
    private readonly facets: () => { service: string; environment: string; severity: string },
    private readonly index: (events: AuditEvent[]) => Promise<void>,
    resume?: {
      sequence: number;
      hash: string;
      /** The newest events already indexed, kept for the status view (a response's timeline). */
      held?: AuditEvent[];
      /** Events the earlier run recorded but did not index: indexed first. */
      pending?: AuditEvent[];
    },
  ) {
    const carried = [...(resume?.held ?? []), ...(resume?.pending ?? [])];
    this.events.push(...carried);
    this.indexed = resume?.held?.length ?? 0;
    this.offset = (resume?.sequence ?? 0) - carried.length;
    this.startHash = carried[0]?.prevHash ?? resume?.hash ?? GENESIS_HASH;
  }

  /** The events held here that are not indexed yet (a continued run takes them along). */
  get unindexed(): AuditEvent[] {
    return this.events.slice(this.indexed);
  }

  /** The newest `count` events already indexed (a continued run shows them in its timeline). */
  indexedTail(count: number): AuditEvent[] {
    return this.events.slice(Math.max(0, this.indexed - count), this.indexed);
  }

  /** The response's closing event is recorded: nothing may follow it in the chain. */
  get closed(): boolean {
    return CLOSING_TYPES.has(this.events.at(-1)?.type ?? '');
  }

  /** What a continued run needs to extend this chain. */
  get position(): { sequence: number; hash: string } {
    return { sequence: this.offset + this.events.length, hash: this.events.at(-1)?.hash ?? this.startHash };
  }

  record(type: AuditEventType, fields: EventFields): AuditEvent {
    const sequence = this.offset + this.events.length + 1;
    const event: AuditEvent = {
      // Deterministic: replays and activity retries produce the same ID, so `create` dedups.
      eventId: `${this.identity.workflowId}:${this.identity.runKey}:${sequence}`,
      sequence,
      time: new Date().toISOString(), // workflow time: deterministic on replay
      incidentId: this.identity.incidentId,
      workflowId: this.identity.workflowId,
      type,
      ...this.facets(),
      ...fields,
      ...this.enrich?.(type, fields),
      prevHash: this.events.at(-1)?.hash ?? this.startHash,
    };
    // Drop undefined fields first: the stored (JSON) form is what verification will hash.
    for (const key of Object.keys(event) as Array<keyof AuditEvent>) if (event[key] === undefined) delete event[key];
    event.hash = eventHash(event);
    this.events.push(event);
    this.observer?.(event);
    return event;
  }

  /** Start the pump. Non-cancellable so that an emergency stop still gets its trail indexed. */
  start(): void {
    this.pump = CancellationScope.nonCancellable(async () => {
      for (;;) {
        await condition(() => (!this.paused && this.indexed < this.events.length) || this.closing);
        if (this.indexed >= this.events.length) return;
        const batch = this.events.slice(this.indexed, this.indexed + 200);
        this.busy = true;
        await this.index(batch);
        this.busy = false;
        this.indexed += batch.length;
      }
    });
  }

  /** Start no new batch and wait for the one out: what is left can then be carried over. */
  async pause(): Promise<void> {
    this.paused = true;
    await condition(() => !this.busy);
  }

  /** Index again (a continuation that did not happen). */
  resume(): void {
    this.paused = false;
  }

  /** Wait until every recorded event is indexed; call once, at the very end. */
  async flush(): Promise<void> {
    this.closing = true;
    await this.pump;
  }
}
