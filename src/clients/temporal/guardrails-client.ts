import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  EMPTY_CONTROLS,
  evaluateControls,
  type Controls,
  type GuardrailFacts,
  type GuardrailVerdict,
} from '../../domain/guardrails/controls.js';
import {
  controlsChangedSignal,
  controlsQuery,
  GUARDRAILS_WORKFLOW,
  standingRulesSignal,
} from '../../contracts/guardrails.js';
import { INCIDENT_RESPONSE_WORKFLOW } from '../../contracts/incident-response.js';
import type { Rule } from '../../domain/guardrails/controls.js';
import { createGuardrailWatch } from './guardrail-watch.js';

/** Signals in flight at once while broadcasting: enough to reach a thousand responses in a few seconds. */
const BROADCAST_CONCURRENCY = 100;

/**
 * The worker's side of the guardrails: read the controls (a query on the control workflow),
 * start that workflow if it is not running, fan a change out to every running response, and
 * interrupt this worker's running mitigations when a change forbids them.
 */

export function createGuardrailsClient(client: Client, options: { workflowId: string; taskQueue: string }) {
  const handle = () => client.workflow.getHandle(options.workflowId);

  /**
   * Fresh reads, batched. Every caller gets an answer from a query that started after it asked
   * (so it sees any control acknowledged before it asked), but however many responses ask at
   * once, at most one query is in flight and one is queued: a thousand responses checking the
   * controls cost two queries, not a thousand, on the one control workflow.
   */
  let inFlight: Promise<Controls> | undefined;
  let queued: Promise<Controls> | undefined;
  const queryOnce = async (): Promise<Controls> => {
    try {
      return await handle().query(controlsQuery);
    } catch (err) {
      // Never started: nothing has been engaged. Any other failure propagates, and the
      // caller fails closed (the activity retries; the mitigation does not start meanwhile).
      if (err instanceof WorkflowNotFoundError) return EMPTY_CONTROLS;
      throw err;
    }
  };
  const freshControls = (): Promise<Controls> => {
    if (!inFlight) {
      inFlight = queryOnce().finally(() => (inFlight = undefined));
      return inFlight;
    }
    // A query is running, but it may have started before we asked: wait for the next one.
    queued ??= inFlight
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return freshControls();
      });
    return queued;
  };

  const watch = createGuardrailWatch(freshControls);

  return {
    async ensureRunning(standingRules: Array<Omit<Rule, 'source'>>): Promise<void> {
      await client.workflow.signalWithStart(GUARDRAILS_WORKFLOW, {
        workflowId: options.workflowId,
        taskQueue: options.taskQueue,
        args: [{}],
        signal: standingRulesSignal,
        signalArgs: [standingRules],
      });
    },

    controls: freshControls,

    async check(facts: GuardrailFacts): Promise<GuardrailVerdict & { version: number }> {
      const controls = await this.controls();
      return { ...evaluateControls(controls, facts, Date.now()), version: controls.version };
    },

    /** Interrupt a running mitigation, in this process, as soon as a control forbids it. */
    watch: watch.watch,

    /**
     * Tell every running response. Mitigations running on this worker are interrupted in-process
     * first (no round trip); every response then gets the signal, which updates its status and
     * covers mitigations running on other workers until their own watch polls.
     */
    async broadcast(controls: Controls): Promise<number> {
      watch.publish(controls);
      const ids: string[] = [];
      for await (const wf of client.workflow.list({
        query: `WorkflowType = '${INCIDENT_RESPONSE_WORKFLOW}' AND ExecutionStatus = 'Running' AND TaskQueue = '${options.taskQueue}'`,
      }))
        ids.push(wf.workflowId);
      let next = 0;
      await Promise.all(
        Array.from({ length: BROADCAST_CONCURRENCY }, async () => {
          while (next < ids.length) {
            const id = ids[next++]!;
            // A response that just ended cannot be signalled: nothing to stop there.
            await client.workflow
              .getHandle(id)
              .signal(controlsChangedSignal, controls)
              .catch(() => undefined);
          }
        }),
      );
      return ids.length;
    },
  };
}
export type GuardrailsClient = ReturnType<typeof createGuardrailsClient>;
