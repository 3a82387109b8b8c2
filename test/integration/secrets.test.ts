import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directorySecrets } from '../../src/clients/secrets/provider.js';
import { createEncryptionCodec, isEncrypted } from '../../src/clients/temporal/payload-codec.js';
import { createLogger } from '../../src/config/logger.js';
import { sdkLogger } from '../../src/worker/sdk-logger.js';
import { startHarness, type Harness } from '../support/harness.js';
import { historyToJsonObject } from '../support/history-json.js';
import { installTestRuntime } from '../support/interlock.js';
import { responses } from '../support/responses.js';

/**
 * Secrets never reach Temporal history, the audit trail, the gateway's answers or the logs, for
 * a response whose steps use them in an HTTP header, a URL that fails (so the value is in the
 * failure message), a shell step's environment (printed, then a failing exit) and a compensation.
 * Real Temporal, OpenSearch, worker and gateway; a local target that echoes what it receives.
 */
const SECRETS = {
  API_TOKEN: `tok-${randomUUID()}`,
  HOOK_KEY: `hook-${randomUUID()}`,
  DB_PASSWORD: `pw-${randomUUID()}`,
  UNDO_TOKEN: `undo-${randomUUID()}`,
};
const VALUES = Object.values(SECRETS);
const UI_ORIGIN = 'http://temporal-ui.test:8233';
const codec = createEncryptionCodec([{ id: 'test-2026', key: new Uint8Array(randomBytes(32)) }]);

const workerLines: string[] = [];
const gatewayLines: string[] = [];
let h: Harness;
let r: ReturnType<typeof responses>;
let target: http.Server;
let targetUrl: string;
const received: Array<{ method: string; path: string; headers: http.IncomingHttpHeaders; body: string }> = [];

/** Echoes what it got: exactly how a careless or hostile target would hand a secret back. */
function startEcho(): Promise<void> {
  target = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ method: req.method!, path: req.url!, headers: req.headers, body });
      if (req.url === '/hold') return; // the verification waits here until the emergency stop
      const echo = JSON.stringify({ path: req.url, headers: req.headers, body });
      res.writeHead(req.url!.startsWith('/hooks/') ? 404 : 200, { 'content-type': 'application/json' }).end(echo);
    });
  });
  return new Promise((resolve) =>
    target.listen(0, '127.0.0.1', () => {
      targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
      resolve();
    }),
  );
}

function playbook(script: string) {
  return `
id: secrets-everywhere
version: 1
match: { labels: { alertname: SecretsEverywhere } }
steps:
  - id: call-with-token
    kind: diagnostic
    action: http.request
    params:
      url: ${targetUrl}/echo
      headers: { Authorization: "Bearer {{secrets.API_TOKEN}}" }
      timeout: 5s
  - id: print-env
    kind: diagnostic
    action: shell.command
    params: { command: ["${script}"], env: { DB_PASSWORD: "{{secrets.DB_PASSWORD}}" }, timeout: 5s }
  - id: set-password
    kind: mitigation
    action: http.request
    params: { method: POST, url: ${targetUrl}/echo, body: { password: "{{secrets.DB_PASSWORD}}" }, timeout: 5s }
    compensation:
      action: http.request
      params: { method: POST, url: ${targetUrl}/undo, headers: { X-Api-Key: "{{secrets.UNDO_TOKEN}}" }, timeout: 5s }
  - id: call-hook
    kind: mitigation
    action: http.request
    params: { method: POST, url: "${targetUrl}/hooks/{{secrets.HOOK_KEY}}", timeout: 5s }
  - id: wait-for-verification
    kind: verification
    action: http.request
    params: { url: ${targetUrl}/hold, timeout: 60s }
`;
}

beforeAll(async () => {
  const sink = (lines: string[]) => ({ write: (line: string) => void lines.push(line) });
  // The worker's SDK messages (activity failures included) through the worker's own logger.
  installTestRuntime(sdkLogger(createLogger({ name: 'worker', level: 'info' }, sink(workerLines))));
  await startEcho();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interlock-secrets-'));
  for (const [name, value] of Object.entries(SECRETS)) fs.writeFileSync(path.join(dir, name), `${value}\n`);
  const script = path.join(dir, 'print-env.sh');
  fs.writeFileSync(script, '#!/bin/sh\necho "password is $DB_PASSWORD"\necho "cannot use $DB_PASSWORD" >&2\nexit 3\n', {
    mode: 0o755,
  });
  h = await startHarness({
    playbooks: { 'secrets.yaml': playbook(script) },
    policy: 'default: { mode: auto }\n',
    secrets: directorySecrets(dir),
    payloadCodec: codec,
    codecCorsOrigins: [UI_ORIGIN],
    gatewayLog: createLogger({ name: 'gateway', level: 'info' }, sink(gatewayLines)),
  });
  r = responses(h);
});
afterAll(async () => {
  if (incidentId)
    await h.client.workflow
      .getHandle(`incident-${incidentId}`)
      .terminate('test over')
      .catch(() => undefined);
  await h?.stop();
  await new Promise((resolve) => target?.close(resolve));
});

/**
 * Every payload inside a history (any depth), as stored. Search attributes and markers are left out: the
 * SDK never passes them through a codec (the server indexes search attributes; a patch marker
 * holds only the patch's name), and no workflow value goes into them.
 */
function payloadsIn(value: unknown): Payload[] {
  const found: Payload[] = [];
  const walk = (v: unknown) => {
    if (!v || typeof v !== 'object' || v instanceof Uint8Array) return;
    if (Array.isArray(v)) return v.forEach(walk);
    const o = v as Record<string, unknown>;
    if (o.metadata && typeof o.metadata === 'object' && 'encoding' in (o.metadata as object)) found.push(o as Payload);
    else
      for (const [k, x] of Object.entries(o))
        if (k !== 'searchAttributes' && k !== 'markerRecordedEventAttributes') walk(x);
  };
  walk(value);
  return found;
}
const utf8 = (payloads: Payload[]) => payloads.map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('\n');
const leaks = (text: string) => VALUES.filter((v) => text.includes(v));

let incidentId: string | undefined;
describe('secrets in a response', () => {
  let tag: string;

  it('are resolved where they are used: the target got the real values', async () => {
    tag = `secrets-${randomUUID()}`;
    incidentId = await r.open('secrets', { labels: { alertname: 'SecretsEverywhere', incident_tag: tag } });
    await r.until(incidentId, (s) => s.steps.find((x: any) => x.id === 'wait-for-verification')?.state === 'running');
    const status = await r.status(incidentId);
    const state = Object.fromEntries(status.steps.map((s: any) => [s.id, s.state]));
    expect(state).toMatchObject({ 'call-with-token': 'succeeded', 'print-env': 'failed', 'set-password': 'succeeded' });
    expect(state['call-hook']).toBe('failed');
    // The emergency stop runs the compensation, which uses a secret too.
    expect((await r.post(incidentId, 'cancel', 'alice', { reason: 'stop the secrets test' })).status).toBe(202);
    // Its trail is checked once indexed; the end of the response (its final flush) is not waited for.
    await r.until(incidentId, (s) => s.phase === 'cancelled' && r.types(s).includes('mitigation.compensated'));
    const to = (p: string) => received.filter((x) => x.path === p);
    expect(to('/echo')[0]!.headers.authorization).toBe(`Bearer ${SECRETS.API_TOKEN}`);
    expect(JSON.parse(to('/echo')[1]!.body)).toEqual({ password: SECRETS.DB_PASSWORD });
    expect(to(`/hooks/${SECRETS.HOOK_KEY}`)).toHaveLength(1);
    expect(to('/undo')[0]!.headers['x-api-key']).toBe(SECRETS.UNDO_TOKEN);
  });

  it('show scrubbed output and errors in the status view, and appear in none of the gateway answers', async () => {
    const status = await r.status(incidentId!);
    const step = (id: string) => status.steps.find((s: any) => s.id === id);
    expect(step('call-with-token').output.body).toContain('Bearer [secret]');
    expect(step('print-env').error).toMatch(/exited with code 3/);
    expect(step('call-hook').error).toMatch(/\/hooks\/\[secret\] answered HTTP 404/);
    expect(step('call-hook').params.url).toMatch(/\/hooks\/\{\{secrets\.HOOK_KEY\}\}$/);

    await waitForAudit(incidentId);
    const answers = await Promise.all(
      [
        `/v1/incidents/${incidentId}`,
        `/v1/incidents/${incidentId}/timeline`,
        `/v1/audit/search?incident=${incidentId}&limit=200`,
        `/v1/audit/search?q=secret&incident=${incidentId}`,
        `/v1/audit/export?incident=${incidentId}&format=ndjson`,
        `/v1/audit/export?incident=${incidentId}&format=csv`,
      ].map(async (url) => {
        const res = await h.request('GET', url, { as: 'audrey' });
        expect(res.status, url).toBe(200);
        return [url, typeof res.body === 'string' ? res.body : JSON.stringify(res.body)] as const;
      }),
    );
    for (const [url, text] of answers) expect(leaks(text), url).toEqual([]);
    // The answers did carry the steps' output and failures, scrubbed.
    expect(answers.map(([, t]) => t).join('\n')).toContain('[secret]');
  });

  it('are nowhere in the raw audit index', async () => {
    const res = await h.opensearch.search({
      index: 'audit-events-*',
      body: { query: { term: { incidentId } }, size: 500 },
    });
    const hits = (res.body.hits.hits as unknown[]) ?? [];
    expect(hits.length).toBeGreaterThan(10);
    expect(leaks(JSON.stringify(hits))).toEqual([]);
    expect(JSON.stringify(hits)).toContain('/hooks/[secret] answered HTTP 404');
  });

  it('are nowhere in the workflow history, raw or decoded through the codec; payloads are encrypted', async () => {
    const history = await h.client.workflow.getHandle(`incident-${incidentId}`).fetchHistory();
    const raw = JSON.stringify(historyToJsonObject(history));
    expect(leaks(raw)).toEqual([]);
    // The alert's label is in the workflow's payloads (the alert signal, the status): only as ciphertext.
    expect(raw).not.toContain(tag);
    const stored = payloadsIn(history);
    expect(stored.length).toBeGreaterThan(20);
    // Encrypted, every one of them: the label is not in any stored payload's bytes.
    expect(stored.filter((p) => !isEncrypted(p))).toEqual([]);
    expect(utf8(stored)).not.toContain(tag);
    expect(leaks(utf8(stored))).toEqual([]);
    const decoded = utf8(await codec.decode(stored));
    expect(decoded).toContain(tag); // decoding works: the plaintext is there
    // The shell step's output rode in its failure's details: there, scrubbed.
    expect(decoded).toContain('password is [secret]');
    expect(decoded).toContain('Bearer [secret]'); // the echoed header in the HTTP step's result
    expect(decoded).toContain('{{secrets.HOOK_KEY}}'); // the references, unresolved
    expect(leaks(decoded)).toEqual([]);
  });

  it('are nowhere in the worker and gateway logs', () => {
    const logs = [...workerLines, ...gatewayLines].join('');
    // The worker logged the failures (the SDK's activity-failure warnings), scrubbed.
    expect(workerLines.join('')).toContain('/hooks/[secret]');
    expect(leaks(logs)).toEqual([]);
  });
});

describe('the codec endpoints for the Temporal UI', () => {
  const toJson = (p: Payload) => ({
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? []).toString('base64'),
  });

  it('decode for an authenticated reader, and refuse without a token', async () => {
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload({ hello: 'codec' })]);
    const body = { payloads: [toJson(encrypted!)] };
    const res = await h.request('POST', '/v1/codec/decode', {
      as: 'audrey',
      body,
      headers: { 'x-namespace': 'default' },
    });
    expect(res.status).toBe(200);
    const [decoded] = res.body.payloads;
    expect(Buffer.from(decoded.metadata.encoding, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(decoded.data, 'base64').toString())).toEqual({ hello: 'codec' });
    const anonymous = await h.request('POST', '/v1/codec/decode', { body });
    expect(anonymous.status).toBe(401);
    expect(JSON.stringify(anonymous.body)).not.toContain('codec"');
  });

  it('encode for responders (what the UI sends as a signal input), which the codec decodes back', async () => {
    const plain = toJson(defaultPayloadConverter.toPayload('from the UI'));
    const res = await h.request('POST', '/v1/codec/encode', { as: 'alice', body: { payloads: [plain] } });
    expect(res.status).toBe(200);
    const back = res.body.payloads[0];
    const payload = {
      metadata: { encoding: Buffer.from(back.metadata.encoding, 'base64') },
      data: Buffer.from(back.data, 'base64'),
    };
    expect(isEncrypted(payload)).toBe(true);
    expect((await h.request('POST', '/v1/codec/encode', { as: 'audrey', body: { payloads: [plain] } })).status).toBe(
      403,
    );
  });

  it('answer a payload they cannot decode, or a malformed body, with a 400 that says why', async () => {
    const foreign = await createEncryptionCodec([{ id: 'other', key: new Uint8Array(32) }]).encode([
      defaultPayloadConverter.toPayload(1),
    ]);
    const res = await h.request('POST', '/v1/codec/decode', {
      as: 'audrey',
      body: { payloads: [toJson(foreign[0]!)] },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/key "other", which is not configured/);
    const bad = await h.request('POST', '/v1/codec/decode', { as: 'audrey', body: { payloads: [{ data: '%%%' }] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/payloads\.0\.data/);
  });

  it("allow the Temporal UI's origin (preflight with X-Namespace and Authorization), and no other", async () => {
    const preflight = (origin: string) =>
      fetch(`${h.baseUrl}/v1/codec/decode`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace,authorization',
        },
      });
    const ok = await preflight(UI_ORIGIN);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(ok.headers.get('access-control-allow-headers')?.toLowerCase().split(',')).toEqual(
      expect.arrayContaining(['content-type', 'authorization', 'x-namespace']),
    );
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    const other = await preflight('http://evil.test');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    // The real request carries the header too, so the browser lets the UI read the answer.
    const res = await h.request('POST', '/v1/codec/decode', {
      as: 'audrey',
      body: { payloads: [] },
      headers: { origin: UI_ORIGIN },
    });
    expect(res.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
  });
});

async function waitForAudit(incidentId: string | undefined) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await h.request('GET', `/v1/incidents/${incidentId}/timeline`, { as: 'audrey' });
    const types: string[] = (res.body.events ?? res.body.timeline ?? []).map((e: any) => e.type);
    // The last failure before the emergency stop: every step's output and error is in by then.
    if (types.includes('mitigation.failed')) return;
    if (Date.now() > deadline) throw new Error(`audit not indexed in time: ${types.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
