import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restartPlaybook, startHarness, type Harness } from '../support/harness.js';
import { responses } from '../support/responses.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

// The real CLI binary against a proxy in front of the harness's gateway that loses answers:
// it forwards the request (so it takes effect) and then tells the CLI 504, as a load balancer
// does when a gateway dies after acting and before answering.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'interlock.js');

let target: TargetServer;
let h: Harness;
let r: ReturnType<typeof responses>;
let home: string;
let proxy: http.Server;
let proxyUrl: string;
const seen: Array<{ method: string; url: string; key: string | undefined; answered: number }> = [];
/** How many answers to each path the proxy loses (replacing them by a 504). */
const loseAnswers = new Map<string, number>();

beforeAll(async () => {
  target = await startTargetServer();
  h = await startHarness({ playbooks: { 'restart.yaml': restartPlaybook(target.url) } });
  r = responses(h);
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'interlock-cli-retry-'));
  proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)),
      ) as Record<string, string>;
      const upstream = await fetch(`${h.baseUrl}${req.url}`, {
        method: req.method,
        headers,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      });
      const body = await upstream.text();
      const lose = loseAnswers.get(req.url!) ?? 0;
      const key = req.headers['idempotency-key'] as string | undefined;
      if (lose > 0) {
        loseAnswers.set(req.url!, lose - 1);
        seen.push({ method: req.method!, url: req.url!, key, answered: 504 });
        res.writeHead(504, { 'content-type': 'text/plain' }).end('upstream timed out');
        return;
      }
      seen.push({ method: req.method!, url: req.url!, key, answered: upstream.status });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
  await h?.stop();
  await target?.close();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { INTERLOCK_URL: _u, INTERLOCK_TOKEN: _t, ...env } = process.env;
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: {
      ...env,
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, 'xdg'),
      INTERLOCK_URL: proxyUrl,
      INTERLOCK_TOKEN: h.tokens.bob,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('the CLI when an answer is lost', () => {
  it('sends the decision again with the same Idempotency-Key; it takes effect once and the CLI succeeds', async () => {
    const id = await r.open('cli-retry');
    await r.pendingApproval(id);
    const decidePath = `/v1/incidents/${id}/approvals/restart-replica-1`;
    loseAnswers.set(decidePath, 1);

    const run = await cli(['approve', id, 'restart-replica-1', '--reason', 'lag confirmed']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/approved restart-replica-1: request is approved/);
    expect(run.stderr).toMatch(/sending it again \(same Idempotency-Key\)/);

    const posts = seen.filter((s) => s.url === decidePath);
    expect(posts.map((p) => p.answered)).toEqual([504, 200]);
    expect(posts[0]!.key).toBeTruthy();
    expect(posts[1]!.key).toBe(posts[0]!.key);
    const s = await r.until(id, (x) => x.phase === 'completed');
    expect(s.approvals[0].decisions).toHaveLength(1);
    expect(target.requestsTo('/mitigations/restart')).toHaveLength(1);
  });

  it('does not repeat an input whose route has no key (an emergency stop): it reports the unknown outcome', async () => {
    const id = await r.open('cli-no-retry');
    await r.pendingApproval(id);
    const cancelPath = `/v1/incidents/${id}/cancel`;
    loseAnswers.set(cancelPath, 1);
    const run = await cli(['stop', id, '--reason', 'wrong playbook']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/upstream timed out/);
    expect(seen.filter((s) => s.url === cancelPath)).toHaveLength(1);
  });
});
