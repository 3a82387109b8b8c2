import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  body: string;
  /** The caller hung up before we answered (the mitigation was interrupted). */
  aborted: boolean;
  answered: boolean;
  arrivedAt: number;
  answeredAt?: number;
  abortedAt?: number;
}

/**
 * A real HTTP server standing in for the system a playbook acts on: it records every request
 * and can hold a path open ("slow mitigation") until the client gives up.
 */
export async function startTargetServer() {
  const received: ReceivedRequest[] = [];
  const slowPaths = new Set<string>();
  const delayedPaths = new Map<string, number>();
  const waiters: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const record: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        body,
        aborted: false,
        answered: false,
        arrivedAt: Date.now(),
      };
      received.push(record);
      waiters.splice(0).forEach((w) => w());
      res.on('close', () => {
        if (!record.answered) {
          record.aborted = true;
          record.abortedAt = Date.now();
          waiters.splice(0).forEach((w) => w());
        }
      });
      if (slowPaths.has(record.path)) return; // never answer: only an abort ends it
      const answer = () => {
        if (record.aborted) return;
        record.answered = true;
        record.answeredAt = Date.now();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, path: record.path }));
        waiters.splice(0).forEach((w) => w());
      };
      const delay = delayedPaths.get(record.path);
      if (delay) setTimeout(answer, delay);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    received,
    holdOpen(path: string) {
      slowPaths.add(path);
    },
    /** Answer this path again (requests held open so far stay open). */
    release(path: string) {
      slowPaths.delete(path);
    },
    /** Answer this path only after `ms`: a slow step that finishes unless interrupted. */
    respondAfter(path: string, ms: number) {
      delayedPaths.set(path, ms);
    },
    requestsTo(path: string) {
      return received.filter((r) => r.path === path);
    },
    /** Resolve once `predicate` holds, re-checked on every request or abort. */
    async waitFor(predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new Error('target server: condition not met in time');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(remaining, 250));
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
export type TargetServer = Awaited<ReturnType<typeof startTargetServer>>;
