import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import type { ActionSpec } from '../domain/playbook/actions.js';
import {
  containsSecret,
  resolveSecretReferences,
  scrubText,
  scrubValue,
  secretNames,
} from '../domain/secrets/references.js';
import { SecretUnavailableError, type SecretProvider } from '../clients/secrets/provider.js';

/**
 * Run an action with its `{{secrets.NAME}}` references resolved, and scrub every resolved value
 * out of what comes back: the result (an HTTP body excerpt, a command's output) and any error
 * (message, stack, details, causes). Both end up in Temporal history, the status view and the
 * audit trail, which must never hold a secret. An action without references runs untouched.
 */
export async function actWithSecrets<R>(
  spec: ActionSpec,
  provider: SecretProvider | undefined,
  act: (resolved: ActionSpec) => Promise<R>,
): Promise<R> {
  const names = secretNames(spec.params);
  if (!names.length) return act(spec);
  const values = new Map<string, string>();
  for (const name of names) values.set(name, await fetchSecret(provider, name));
  const secrets = [...values.values()];
  const resolved = { ...spec, params: resolveSecretReferences(spec.params, values) } as ActionSpec;
  try {
    return scrubValue(await act(resolved), secrets);
  } catch (err) {
    throw scrubError(err, secrets);
  }
}

async function fetchSecret(provider: SecretProvider | undefined, name: string): Promise<string> {
  try {
    if (!provider) throw new SecretUnavailableError(name, 'this worker has no secret provider');
    return await provider.get(name);
  } catch (err) {
    if (!(err instanceof SecretUnavailableError)) throw err;
    // Retrying will not make a missing secret appear; the step fails and says which one.
    throw ApplicationFailure.create({ type: 'SecretUnavailable', message: err.message, nonRetryable: true });
  }
}

/** The same failure (type, retryability, details, cause chain) with every secret value removed. */
export function scrubError(err: unknown, secrets: readonly string[]): unknown {
  if (!(err instanceof Error)) return typeof err === 'string' ? scrubText(err, secrets) : err;
  if (!errorContainsSecret(err, secrets)) return err;
  // A stop's reason is rethrown as is elsewhere so cancellation stays cancellation; keep its kind.
  if (err instanceof CancelledFailure) {
    const scrubbed = new CancelledFailure(scrubText(err.message, secrets), scrubValue(err.details, secrets));
    scrubbed.stack = err.stack === undefined ? undefined : scrubText(err.stack, secrets);
    return scrubbed;
  }
  const failure = ApplicationFailure.create({
    type: (err instanceof ApplicationFailure ? err.type : err.name) ?? undefined,
    message: scrubText(err.message, secrets),
    details: err instanceof ApplicationFailure ? scrubValue(err.details ?? undefined, secrets) : undefined,
    // An error of our own making keeps its retry policy; anything else stays retryable, as it was.
    nonRetryable: err instanceof ApplicationFailure ? (err.nonRetryable ?? undefined) : false,
    nextRetryDelay: err instanceof ApplicationFailure ? (err.nextRetryDelay ?? undefined) : undefined,
    cause: err.cause instanceof Error ? (scrubError(err.cause, secrets) as Error) : undefined,
  });
  failure.stack = err.stack === undefined ? undefined : scrubText(err.stack, secrets);
  return failure;
}

function errorContainsSecret(err: Error, secrets: readonly string[]): boolean {
  const details = err instanceof ApplicationFailure || err instanceof CancelledFailure ? err.details : undefined;
  if (containsSecret([err.message, err.stack ?? '', details ?? null], secrets)) return true;
  return err.cause instanceof Error
    ? errorContainsSecret(err.cause, secrets)
    : containsSecret(String(err.cause ?? ''), secrets);
}
