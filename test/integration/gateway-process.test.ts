import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { describe, expect, inject, it } from 'vitest';
import { freePort } from '../support/net.js';

describe('the gateway process', () => {
  it.each([
    [{ PORT: 'eighty' }, /PORT: Invalid input: expected number/],
    [{ OIDC_ISSUER: 'https://idp' }, /OIDC_AUDIENCE: required when OIDC_ISSUER is set/],
    // Half a browser sign-in setup: named, rather than a gateway whose sign-in tiers no browser can reach.
    [{ OIDC_ISSUER: 'https://idp', OIDC_CLIENT_ID: 'interlock' }, /SESSION_SECRET: required for browser sign-in/],
    // Tracing asked for in a form Interlock cannot send: named, not silently untraced.
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, /OTEL_EXPORTER_OTLP_PROTOCOL: only http\/json is supported/],
  ])(
    'refuses to start on invalid configuration %o, naming the variable and printing no stack',
    async (env, message) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/api/main.ts'], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(output).toMatch(message);
      expect(output).not.toMatch(/at .*\.ts:\d+/);
    },
  );

  it('on SIGTERM finishes the request in flight, then exits cleanly', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/api/main.ts'], {
      env: {
        ...process.env,
        PORT: String(port),
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        OPENSEARCH_URL: inject('opensearchUrl'),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    for (let i = 0; ; i++) {
      const up = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      if (i > 200) throw new Error('gateway did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    // A slow client: headers and half the body now, the rest after the SIGTERM.
    const body = JSON.stringify({ reason: 'graceful shutdown check' });
    const answer = new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/v1/incidents/am-000000000000000000000000/opt-out',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: 'Bearer dev-alice-token',
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => {
        child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(10)), 300);
      }, 300);
    });
    // The request completes with a real answer (no such incident), not a dropped connection.
    expect(await answer).toBe(404);
    expect(await exited).toBe(0);
  });
});

/** Run an entry point to its exit; what it printed, and its exit code. */
async function runToExit(entry: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, output };
}

describe('configuration files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interlock-config-'));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  };
  // Nothing listens here: a process that got past its files would fail differently (or hang).
  const offline = { TEMPORAL_ADDRESS: '127.0.0.1:1', OPENSEARCH_URL: 'http://127.0.0.1:1', LOG_LEVEL: 'warn' };

  it.each([
    ['a missing principals file', () => ({ PRINCIPALS_FILE: path.join(dir, 'nope.yaml') }), /nope\.yaml: no such file/],
    [
      'a principals file with a bad role',
      () => ({
        PRINCIPALS_FILE: write('p.yaml', 'principals:\n  - { id: a, name: A, roles: [wizard], tokenSha256: "00" }\n'),
      }),
      /p\.yaml: principals\.0\.roles\.0: /,
    ],
    [
      'a principals file that is not YAML',
      () => ({ PRINCIPALS_FILE: write('q.yaml', 'principals: [\n') }),
      /q\.yaml: not valid YAML/,
    ],
  ])('the gateway refuses %s, naming the file and the problem, without a stack', async (_name, env, message) => {
    const { code, output } = await runToExit('src/api/main.ts', { ...offline, ...env() });
    expect(code).toBe(1);
    expect(output).toMatch(message);
    expect(output).not.toMatch(/at .*\.ts:\d+/);
  });

  it.each([
    [
      'a playbook with a bad parameter',
      () => ({
        PLAYBOOKS_DIR: path.dirname(
          write(
            'pb/bad.yaml',
            'id: bad\nversion: 1\nmatch: { labels: {} }\nsteps:\n  - { id: s, kind: diagnostic, action: shell.command, params: { command: "ls" } }\n',
          ),
        ),
      }),
      /pb\/bad\.yaml: steps\.0\.params\.command: /,
    ],
    [
      'a missing policy file',
      () => ({ POLICY_FILE: path.join(dir, 'policy-missing.yaml') }),
      /policy-missing\.yaml: no such file/,
    ],
    [
      'a guardrails file with an unknown field',
      () => ({ GUARDRAILS_FILE: write('g.yaml', 'rules:\n  - { id: r, colour: red }\n') }),
      /g\.yaml: rules\.0/,
    ],
    [
      'a metrics address that is not host:port',
      () => ({ WORKER_SDK_METRICS_ADDRESS: '9465' }),
      /WORKER_SDK_METRICS_ADDRESS: host:port, e\.g\. 127\.0\.0\.1:9465/,
    ],
  ])('the worker refuses %s, naming the file and the problem, without a stack', async (_name, env, message) => {
    const { code, output } = await runToExit('src/worker/main.ts', { ...offline, ...env() });
    expect(code).toBe(1);
    expect(output).toMatch(message);
    expect(output).not.toMatch(/at .*\.ts:\d+/);
  });
});
