import { Writable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { sdkLogger } from '../../src/worker/sdk-logger.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: sdkLogger(pino({ level: 'info' }, stream)) };
}

describe('the Temporal SDK log through pino', () => {
  it('records a mitigation stopped by a guardrail as information, not as a warning with a stack', () => {
    const { lines, logger } = capture();
    const error = ApplicationFailure.create({
      type: 'InterruptedByGuardrail',
      message: 'kill switch engaged by Kim: stop',
      nonRetryable: true,
    });
    logger.warn('Activity failed', { activityType: 'runAction', workflowId: 'incident-1', error });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: 'mitigation stopped by a guardrail',
      stoppedBy: 'InterruptedByGuardrail',
      why: 'kill switch engaged by Kim: stop',
      workflowId: 'incident-1',
    });
    expect(lines[0]).not.toHaveProperty('error');
  });

  it('keeps every other failure a warning, and every other level as it is', () => {
    const { lines, logger } = capture();
    logger.warn('Activity failed', {
      error: ApplicationFailure.create({ type: 'ActionFailed', message: 'POST answered 500' }),
    });
    logger.error('Worker failed');
    logger.debug('chatter');
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'Activity failed'],
      [50, 'Worker failed'],
    ]);
  });
});
