import type { Logger, LogLevel, LogMetadata } from '@temporalio/common';
import type { Logger as Pino } from 'pino';

/**
 * Activity failures that are Interlock working as intended: a guardrail stopped a mitigation,
 * at its start or while it ran. The SDK logs every failed activity as a warning with its stack;
 * a kill switch over a thousand mitigations would bury real warnings under a thousand of those.
 */
const GUARDRAIL_STOPS: ReadonlySet<string> = new Set(['InterruptedByGuardrail', 'BlockedByGuardrail']);

const PINO_LEVEL = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
} as const satisfies Record<LogLevel, string>;

/** The Temporal SDK's log, through the worker's pino logger (one format, one level setting). */
export function sdkLogger(pino: Pino): Logger {
  const log = (level: LogLevel, message: string, meta: LogMetadata = {}) => {
    const { error, ...rest } = meta as LogMetadata & { error?: { type?: unknown; message?: unknown } };
    if (
      level === 'WARN' &&
      message === 'Activity failed' &&
      typeof error?.type === 'string' &&
      GUARDRAIL_STOPS.has(error.type)
    ) {
      pino.info({ ...rest, stoppedBy: error.type, why: error.message }, 'mitigation stopped by a guardrail');
      return;
    }
    pino[PINO_LEVEL[level]](meta, message);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}
