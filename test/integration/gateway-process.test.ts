import { spawn } from 'node:child_process';
import http from 'node:http';
import { describe, expect, inject, it } from 'vitest';
import { freePort } from '../support/net.js';

describe('the gateway process', () => {
  it.each([
    [{ PORT: 'eighty' }, /PORT: Invalid input: expected number/],
    [{ OIDC_ISSUER: 'https://idp' }, /OIDC_AUDIENCE: required when OIDC_ISSUER is set/],
  ])('refuses to start on invalid configuration %o, naming the variable and printing no stack', async (env, message) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/api/main.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(output).toMatch(message);
    expect(output).not.toMatch(/at .*\.ts:\d+/);
  });

  it('on SIGTERM finishes the request in flight, then exits cleanly', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/api/main.ts'], {
      env: { ...process.env, PORT: String(port), TEMPORAL_ADDRESS: inject('temporalAddress'), OPENSEARCH_URL: inject('opensearchUrl'), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    for (let i = 0; ; i++) {
      const up = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
      if (up) break;
      if (i > 200) throw new Error('gateway did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    // A slow client: headers and half the body now, the rest after the SIGTERM.
    const body = JSON.stringify({ reason: 'graceful shutdown check' });
    const answer = new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/incidents/am-000000000000000000000000/opt-out', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: 'Bearer dev-alice-token' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
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
