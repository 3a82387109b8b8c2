import http from 'node:http';

/**
 * Stands in for the systems the example playbook acts on, so `npm start` shows a diagnostic and
 * an approved mitigation arriving without touching anything real.
 */
export function startDemoTarget(port: number, log: (msg: string) => void): Promise<http.Server | undefined> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      log(`demo target received ${req.method} ${req.url}${body ? ` ${body}` : ''}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, lagSeconds: 42 }));
    });
  });
  return new Promise((resolve) => {
    server.once('error', (err) => {
      log(`demo target not started (${(err as Error).message}); the example playbook's requests will fail`);
      resolve(undefined);
    });
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
