import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/config/logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, log: createLogger({ name: 'test', level: 'info' }, stream) };
}

describe('log redaction', () => {
  it('censors credentials by key, at the top and nested (headers, configs, params)', () => {
    const { lines, log } = capture();
    log.info(
      {
        authorization: 'Bearer top-secret-1',
        req: { headers: { authorization: 'Bearer top-secret-2', cookie: 'sid=top-secret-3' } },
        err: { config: { headers: { 'x-api-key': 'top-secret-4' } } },
        params: { password: 'top-secret-5', token: 'top-secret-6' },
        kept: 'visible',
      },
      'a request',
    );
    const out = lines.join('');
    expect(out).not.toMatch(/top-secret/);
    expect(out.match(/\[REDACTED\]/g)).toHaveLength(6);
    expect(JSON.parse(out)).toMatchObject({ kept: 'visible', msg: 'a request' });
  });
});
