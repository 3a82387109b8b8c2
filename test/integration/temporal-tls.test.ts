import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { temporalConnectionOptions } from '../../src/clients/temporal/connection.js';

/**
 * TLS and mTLS to Temporal, for real: the Temporal CLI dev server has no TLS options, so the test
 * puts a TLS terminator in front of it (Node's tls, certificates made here with openssl) that
 * requires a client certificate signed by the test CA. The client and the worker connect through
 * Interlock's connection options built from the same settings as production.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interlock-tls-'));
const file = (name: string) => path.join(dir, name);
let server: tls.Server;
let address: string;

function openssl(...args: string[]) {
  execFileSync('openssl', args, { stdio: 'pipe', cwd: dir });
}

beforeAll(async () => {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=Interlock test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  for (const [name, cn, ext] of [
    ['server', 'temporal.test', 'subjectAltName=DNS:temporal.test'],
    ['client', 'interlock-worker', 'extendedKeyUsage=clientAuth'],
  ]) {
    openssl(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    );
    fs.writeFileSync(file(`${name}.ext`), `${ext}\n`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    );
  }
  const [host, port] = inject('temporalAddress').split(':');
  server = tls.createServer(
    {
      key: fs.readFileSync(file('server.key')),
      cert: fs.readFileSync(file('server.pem')),
      ca: fs.readFileSync(file('ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (socket) => {
      const upstream = net.connect(Number(port), host);
      socket.pipe(upstream).pipe(socket);
      const close = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on('error', close);
      upstream.on('error', close);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});
afterAll(() => {
  server?.close();
});

const settings = (over: Record<string, unknown> = {}) => ({
  TEMPORAL_ADDRESS: address,
  TEMPORAL_TLS_CA_FILE: file('ca.pem'),
  TEMPORAL_TLS_CERT_FILE: file('client.pem'),
  TEMPORAL_TLS_KEY_FILE: file('client.key'),
  TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
  ...over,
});

describe('Temporal over TLS', () => {
  it('the client and the worker connect with mTLS through the connection options', async () => {
    const client = await Connection.connect(temporalConnectionOptions(settings()));
    try {
      const info = await client.workflowService.getSystemInfo({});
      expect(info.serverVersion).toBeTruthy();
    } finally {
      await client.close();
    }
    const worker = await NativeConnection.connect(temporalConnectionOptions(settings()));
    await worker.close();
  });

  it('without the client certificate, or without trusting the CA, the connection is refused', async () => {
    const attempt = async (over: Record<string, unknown>) => {
      const connection = await Connection.connect({
        ...temporalConnectionOptions(settings(over)),
        connectTimeout: 3000,
      });
      try {
        await connection.workflowService.getSystemInfo({}, { timeout: 3000 } as never);
      } finally {
        await connection.close();
      }
    };
    await expect(attempt({ TEMPORAL_TLS_CERT_FILE: undefined, TEMPORAL_TLS_KEY_FILE: undefined })).rejects.toThrow();
    await expect(attempt({ TEMPORAL_TLS_CA_FILE: undefined })).rejects.toThrow();
  });
});
