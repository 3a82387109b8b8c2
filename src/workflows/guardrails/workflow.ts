import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  patched,
  workflowInfo,
} from '@temporalio/workflow';
import type * as msg from '../../contracts/guardrails.js';
import { registerHandlers } from './handlers.js';
import { broadcastControls, copy, GuardrailsState, loadTrust } from './state.js';

/** History stays bounded: the state moves to a fresh run well before Temporal's limits. */
const MAX_HISTORY_EVENTS = 2000;

/**
 * The one long-running workflow that holds every global control. Changes arrive as validated
 * updates, are audited, and are broadcast to running responses; responses also read the
 * current controls right before each mitigation, so a missed broadcast never lets one through.
 */
export async function guardrails(input: msg.GuardrailsInput = {}): Promise<void> {
  const g = new GuardrailsState(input);
  const { controls, audit, outbox } = g;
  registerHandlers(g);

  audit.start();
  outbox?.start();
  // Runs recorded before changes were verified replay as they ran ('legacy').
  if (patched('verified-inputs')) {
    g.trust = 'loading';
    g.trust = await loadTrust();
  }

  // Broadcast the newest controls whenever they change (coalescing bursts of changes).
  let broadcastVersion = -1;
  const broadcaster = CancellationScope.nonCancellable(async () => {
    for (;;) {
      await condition(() => broadcastVersion < controls.version);
      const snapshot = copy(controls);
      await broadcastControls(snapshot);
      broadcastVersion = snapshot.version;
    }
  });
  void broadcaster;

  // Cancelling this workflow would drop every control at once (a kill switch, pauses, freezes):
  // that lets automation go ahead, so it is not taken from a Cancel button. The request is
  // refused and audited; controls are released one by one through the API.
  CancellationScope.current().cancelRequested.catch(() => {
    audit.record('input.rejected', {
      actor: { id: 'unknown', name: 'Temporal cancel request', channel: 'temporal-ui' },
      summary:
        'Cancel request for the guardrails control workflow refused: release the controls through the API instead',
    });
  });
  await CancellationScope.nonCancellable(() => holdControls());

  async function holdControls(): Promise<never> {
    for (;;) {
      const now = Date.now();
      const expiries = controls.pauses.filter((p) => p.expiresAt).map((p) => Date.parse(p.expiresAt!));
      const next = expiries.length ? Math.max(0, Math.min(...expiries) - now) : undefined;
      if (next === undefined) await condition(() => g.wake);
      else await condition(() => g.wake, next, { summary: 'expire the next pause' });
      g.wake = false;
      for (const p of controls.pauses.filter((x) => x.expiresAt && Date.parse(x.expiresAt) <= Date.now())) {
        controls.pauses.splice(controls.pauses.indexOf(p), 1);
        g.changed(
          'guardrail.pause-expired',
          { id: 'interlock', name: 'Interlock automation', channel: 'system' },
          undefined,
          `Pause ${p.id} expired (${JSON.stringify(p.selector)})`,
        );
      }
      if (workflowInfo().historyLength > MAX_HISTORY_EVENTS || workflowInfo().continueAsNewSuggested) {
        await condition(() => broadcastVersion >= controls.version);
        await condition(allHandlersFinished);
        if (outbox) await outbox.flush();
        await audit.flush();
        await continueAsNew<typeof guardrails>({ controls, audit: audit.position });
      }
    }
  }
}
