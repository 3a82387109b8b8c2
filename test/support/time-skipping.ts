import type { Duration } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { inject } from 'vitest';
import { SEARCH_ATTRIBUTES } from '../../scripts/stack/profiles.js';
import { installTestRuntime, startInterlock, type Interlock, type InterlockOptions } from './interlock.js';

const { IndexedValueType } = temporal.api.enums.v1;
const INDEXED_TYPE = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  Text: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
} as const;

export interface TimeSkippingHarness extends Interlock {
  env: TestWorkflowEnvironment;
  /**
   * Advance the server's clock by `duration` (e.g. '15m', '2h'), firing every timer due on the
   * way; returns in milliseconds of real time. Workflow tasks the timers cause may still be
   * running when it returns: poll the status for their effect.
   */
  skip(duration: Duration): Promise<void>;
  /** The server's current time (the workflows' `Date.now()`), in epoch milliseconds. */
  now(): Promise<number>;
}

/**
 * An Interlock (worker + gateway, real activities, real OpenSearch audit) on its own Temporal
 * time-skipping test server instead of the shared dev server, for tests about long timers
 * (reminders, escalations, expiry, objection windows) written with realistic durations.
 *
 * Time on that server runs at wall-clock speed until a test skips it: explicitly with `skip`,
 * or implicitly while it awaits a workflow's result through `client` (the SDK's
 * TimeSkippingClient), when the server jumps straight to the next timer whenever nothing is
 * running. Skipped time is global to the server, so a file's tests must run one at a time
 * (vitest's default within a file); each file gets its own server.
 */
export async function startTimeSkippingHarness(options: InterlockOptions): Promise<TimeSkippingHarness> {
  // The environment would otherwise create the SDK's default runtime, and the worker's log level could no longer be set.
  installTestRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: inject('timeSkippingServerPath') } },
  });
  try {
    // The test server rejects upserts of attributes it does not know (as the dev server does),
    // and has no ListSearchAttributes; AddSearchAttributes works.
    await env.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(
        Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => [name, INDEXED_TYPE[type]]),
      ),
    });
    const interlock = await startInterlock(
      {
        temporalAddress: env.address,
        temporal: { client: env.client, nativeConnection: env.nativeConnection, visibility: false },
        opensearchUrl: inject('opensearchUrl'),
        auditIndexPrefix: inject('auditIndexPrefix'),
        auditIndexReplicas: inject('auditIndexReplicas'),
        workflowBundlePath: inject('workflowBundlePath'),
      },
      // The server's clock runs hours ahead of the gateway's: freshness is not what these test.
      { decisionMaxAgeMs: 30 * 24 * 3600_000, ...options },
    );
    return {
      ...interlock,
      env,
      skip: (duration: Duration) => env.sleep(duration),
      now: () => env.currentTimeMs(),
      async stop() {
        try {
          await interlock.stop();
        } finally {
          await env.teardown();
        }
      },
    };
  } catch (err) {
    await env.teardown();
    throw err;
  }
}
