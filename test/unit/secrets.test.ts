import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { actWithSecrets, scrubError } from '../../src/activities/secrets.js';
import { parsePlaybook } from '../../src/clients/config/catalog.js';
import { directorySecrets, environmentSecrets, SecretUnavailableError } from '../../src/clients/secrets/provider.js';
import { renderParams, type ActionSpec } from '../../src/domain/playbook/playbook.js';
import { resolveSecretReferences, scrubText, secretNames } from '../../src/domain/secrets/references.js';

const playbook = (params: string, extra = '') => `
id: with-secrets
version: 1
match: { labels: { alertname: Lag } }
steps:
  - id: call
    kind: mitigation
    action: http.request
${extra}    params: ${params}
`;

describe('secret references in playbooks', () => {
  it('accepts {{secrets.NAME}} in headers, body, url, shell env and compensation parameters', () => {
    const p = parsePlaybook(
      playbook(
        '{ method: POST, url: "http://t/{{secrets.HOOK_KEY}}", headers: { Authorization: "Bearer {{secrets.API_TOKEN}}" }, body: { pw: "{{secrets.db_password}}" } }',
        '    compensation: { action: shell.command, params: { command: [undo], env: { TOKEN: "{{secrets.UNDO_TOKEN}}" } } }\n',
      ),
      'p.yaml',
    );
    expect(secretNames(p.steps[0]!.params)).toEqual(['HOOK_KEY', 'API_TOKEN', 'db_password']);
    expect(secretNames(p.steps[0]!.compensation!.params)).toEqual(['UNDO_TOKEN']);
  });

  it.each([
    [
      'a name with a dash',
      '{ url: "http://t/", headers: { A: "{{secrets.api-token}}" } }',
      '',
      /secrets\.api-token.*not a secret reference/,
    ],
    ['a path in the name', '{ url: "http://t/{{secrets.../etc/passwd}}" }', '', /not a secret reference/],
    ['spaces inside the braces', '{ url: "http://t/", body: "{{ secrets.TOKEN }}" }', '', /not a secret reference/],
    [
      'a reference outside the parameters',
      '{ url: "http://t/" }',
      '    impact: "uses {{secrets.TOKEN}}"\n',
      /steps\.0\.impact.*only allowed in action parameters/,
    ],
    [
      'a reference as an input default',
      '{ url: "http://t/{{inputs.x}}" }',
      '    inputs: { x: { type: string, default: "{{secrets.TOKEN}}" } }\n',
      /steps\.0\.inputs.*only allowed in action parameters/,
    ],
  ])('refuses %s, naming where', (_what, params, extra, message) => {
    expect(() => parsePlaybook(playbook(params, extra), 'p.yaml')).toThrow(message);
  });

  it('leaves references unrendered in the workflow, and defuses one smuggled in through a label or input', () => {
    const rendered = renderParams(
      {
        headers: { Authorization: 'Bearer {{secrets.API_TOKEN}}' },
        body: { tag: '{{labels.tag}}', n: '{{inputs.n}}' },
      },
      { inputs: { n: 'x{{secrets.OTHER}}' }, labels: { tag: '{{secrets.DB_PASSWORD}}' } },
    );
    expect(rendered.headers.Authorization).toBe('Bearer {{secrets.API_TOKEN}}');
    expect(secretNames(rendered)).toEqual(['API_TOKEN']);
    expect(rendered.body).toEqual({ tag: '{ {secrets.DB_PASSWORD}}', n: 'x{ {secrets.OTHER}}' });
  });

  it('resolves references and scrubs values, in their URL-encoded and JSON-escaped forms too', () => {
    const values = new Map([['T', 'p@ss "word"/1']]);
    expect(resolveSecretReferences({ a: ['x {{secrets.T}} y'] }, values)).toEqual({ a: ['x p@ss "word"/1 y'] });
    const text = `plain p@ss "word"/1, url ${encodeURIComponent('p@ss "word"/1')}, json ${JSON.stringify('p@ss "word"/1')}`;
    expect(scrubText(text, ['p@ss "word"/1'])).toBe('plain [secret], url [secret], json "[secret]"');
  });
});

describe('secret providers', () => {
  it('reads INTERLOCK_SECRET_<NAME> from the environment; a missing or empty one names the secret', async () => {
    const env = { INTERLOCK_SECRET_API_TOKEN: 'from-env', INTERLOCK_SECRET_EMPTY: '' };
    await expect(environmentSecrets(env).get('API_TOKEN')).resolves.toBe('from-env');
    await expect(environmentSecrets(env).get('NOPE')).rejects.toThrow(/secret NOPE .*INTERLOCK_SECRET_NOPE is not set/);
    await expect(environmentSecrets(env).get('EMPTY')).rejects.toThrow(SecretUnavailableError);
  });

  it('reads one file per secret from a directory (one trailing newline dropped) and refuses names leaving it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secrets-'));
    fs.writeFileSync(path.join(dir, 'db_password'), 'from-file\n');
    fs.writeFileSync(path.join(os.tmpdir(), 'outside'), 'outside');
    const provider = directorySecrets(dir);
    await expect(provider.get('db_password')).resolves.toBe('from-file');
    await expect(provider.get('missing')).rejects.toThrow(/secret missing is not available: no file missing in/);
    await expect(provider.get('../outside')).rejects.toThrow(/not a valid secret name/);
  });
});

describe('an action with secrets', () => {
  const spec = {
    action: 'http.request',
    params: { method: 'GET', url: 'http://t/{{secrets.K}}', headers: { A: '{{secrets.T}}' }, timeout: 1000 },
  } as ActionSpec;
  const provider = environmentSecrets({ INTERLOCK_SECRET_K: 'key-123', INTERLOCK_SECRET_T: 'tok-456' });

  it('acts with the values and returns a result scrubbed of them', async () => {
    let seen: ActionSpec | undefined;
    const result = await actWithSecrets(spec, provider, async (resolved) => {
      seen = resolved;
      return { body: 'echo tok-456 at /key-123', status: 200 };
    });
    expect(seen!.params).toMatchObject({ url: 'http://t/key-123', headers: { A: 'tok-456' } });
    expect(result).toEqual({ body: 'echo [secret] at /[secret]', status: 200 });
  });

  it('throws errors scrubbed of them, keeping type, retryability and details', async () => {
    const failing = actWithSecrets(spec, provider, async () => {
      throw ApplicationFailure.create({
        type: 'ActionFailed',
        message: 'GET http://t/key-123 answered HTTP 404',
        details: [{ body: 'no tok-456 here' }],
        nonRetryable: true,
        cause: new Error('tok-456 inside'),
      });
    });
    const err = (await failing.catch((e: unknown) => e)) as ApplicationFailure;
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({
      type: 'ActionFailed',
      nonRetryable: true,
      message: 'GET http://t/[secret] answered HTTP 404',
    });
    expect(err.details).toEqual([{ body: 'no [secret] here' }]);
    expect(JSON.stringify([err.stack, err.cause?.message, (err.cause as Error).stack])).not.toMatch(/tok-456|key-123/);
  });

  it('keeps a cancellation a cancellation, and leaves errors without secrets untouched', () => {
    const cancelled = scrubError(new CancelledFailure('stopped, key-123'), ['key-123']);
    expect(cancelled).toBeInstanceOf(CancelledFailure);
    expect((cancelled as Error).message).toBe('stopped, [secret]');
    const clean = new Error('nothing here');
    expect(scrubError(clean, ['key-123'])).toBe(clean);
  });

  it('fails with a non-retryable SecretUnavailable naming the secret when one is missing', async () => {
    const err = (await actWithSecrets(spec, environmentSecrets({ INTERLOCK_SECRET_K: 'k' }), async () => 1).catch(
      (e: unknown) => e,
    )) as ApplicationFailure;
    expect(err).toMatchObject({ type: 'SecretUnavailable', nonRetryable: true });
    expect(err.message).toMatch(/secret T is not available/);
    expect(err.message).not.toMatch(/key-123/);
  });
});
