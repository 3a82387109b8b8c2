import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OPENSEARCH_VERSION, SEARCH_ATTRIBUTES } from '../../scripts/stack/profiles.js';
import { gatewayEnvSchema, workerEnvSchema } from '../../src/config/env.js';

/**
 * docker-compose.yml and the Dockerfile cannot be run here (no Docker), so this checks the
 * properties a user relies on when they run them: every reference resolves, the processes are
 * configured with variables they actually read, and the stack matches the rest of the repo.
 */

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const readRepoFile = (relative: string) => fs.readFileSync(new URL(`../../${relative}`, import.meta.url), 'utf8');

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: (string | number | { target?: number; published?: number | string })[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
}

const compose = parse(readRepoFile('docker-compose.yml')) as ComposeFile;
const services = compose.services;

function service(name: string): ComposeService {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
}

/** `environment` may be a map or a list of KEY=VALUE; values as the container sees them. */
function envOf(name: string): Record<string, string> {
  const env = service(name).environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const i = entry.indexOf('=');
        return i < 0 ? [entry, ''] : [entry.slice(0, i), entry.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v == null ? '' : String(v)]));
}

function dependsOn(s: ComposeService): Record<string, string | undefined> {
  const d = s.depends_on ?? [];
  if (Array.isArray(d)) return Object.fromEntries(d.map((name) => [name, undefined]));
  return Object.fromEntries(Object.entries(d).map(([name, spec]) => [name, spec?.condition]));
}

/** Published ports as { host, container } from the short ("8080:8080") or long syntax. */
function portsOf(name: string): { host: number; container: number }[] {
  return (service(name).ports ?? []).map((p) => {
    if (typeof p === 'object') return { host: Number(p.published), container: Number(p.target) };
    const parts = String(p).split('/')[0]!.split(':');
    const container = Number(parts.at(-1));
    return { host: parts.length > 1 ? Number(parts.at(-2)) : container, container };
  });
}

function commandText(s: ComposeService): string {
  const parts = (c: string | string[] | undefined) => (c === undefined ? [] : Array.isArray(c) ? c : [c]);
  return [...parts(s.entrypoint), ...parts(s.command)].join('\n');
}

/** Dockerfile instructions, with `\` line continuations joined and comments dropped. */
function dockerfileInstructions(): { keyword: string; args: string }[] {
  return readRepoFile('Dockerfile')
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const m = /^(\S+)\s*(.*)$/.exec(line)!;
      return { keyword: m[1]!.toUpperCase(), args: m[2]! };
    });
}

/** CMD/ENTRYPOINT arguments: the JSON (exec) form or the shell form split on whitespace. */
function execArgs(args: string): string[] {
  return args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/);
}

const APP_SERVICES = { worker: workerEnvSchema, gateway: gatewayEnvSchema } as const;

describe('docker-compose.yml', () => {
  it('defines the seven services of the stack', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['gateway', 'opensearch', 'postgresql', 'temporal', 'temporal-admin-tools', 'temporal-ui', 'worker'].sort(),
    );
  });

  it('builds the app or uses a pinned image tag for every service', () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.build !== undefined) continue;
      expect(s.image, `${name} has neither image nor build`).toBeTypeOf('string');
      const image = s.image!;
      // The tag follows the last ':' after the last '/' (a registry may carry a port).
      const lastSegment = image.slice(image.lastIndexOf('/') + 1);
      expect(lastSegment, `${name}: ${image} has no tag`).toContain(':');
      const tag = lastSegment.slice(lastSegment.indexOf(':') + 1);
      expect(tag, `${name}: ${image}`).not.toBe('');
      expect(tag, `${name}: ${image}`).not.toBe('latest');
    }
  });

  it('runs the OpenSearch version the dev stack provisions', () => {
    expect(service('opensearch').image).toBe(`opensearchproject/opensearch:${OPENSEARCH_VERSION}`);
  });

  it('only depends on services that exist', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const target of Object.keys(dependsOn(s))) {
        expect(Object.keys(services), `${name} depends on ${target}`).toContain(target);
      }
    }
  });

  it('starts the worker only after the search attributes are registered and OpenSearch is healthy', () => {
    expect(dependsOn(service('worker'))).toMatchObject({
      'temporal-admin-tools': 'service_completed_successfully',
      opensearch: 'service_healthy',
    });
  });

  it.each(Object.keys(APP_SERVICES))('points %s at the temporal and opensearch services', (name) => {
    const env = envOf(name);
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    const opensearch = new URL(env.OPENSEARCH_URL ?? '');
    expect(opensearch.hostname).toBe('opensearch');
    expect(opensearch.port).toBe('9200');
  });

  it.each(Object.entries(APP_SERVICES))('sets only variables %s reads, with values it accepts', (name, schema) => {
    const env = envOf(name);
    const known = Object.keys(schema.shape);
    for (const key of Object.keys(env)) expect(known, `${name}: ${key}`).toContain(key);
    const parsed = schema.safeParse(env);
    expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues)).toBe(true);
  });

  it('publishes the gateway on 8080, listening on all interfaces inside the container', () => {
    const env = gatewayEnvSchema.parse(envOf('gateway'));
    expect(env.HOST).toBe('0.0.0.0');
    expect(portsOf('gateway')).toContainEqual({ host: 8080, container: env.PORT });
  });

  describe('temporal-admin-tools', () => {
    const script = commandText(service('temporal-admin-tools'));
    const registered = Object.fromEntries([...script.matchAll(/^\s*register\s+(\w+)\s+(\w+)\s*$/gm)].map((m) => [m[1], m[2]]));

    it('registers exactly the search attributes in SEARCH_ATTRIBUTES, each with its type', () => {
      expect(script).toContain('temporal operator search-attribute create');
      expect(registered).toEqual(SEARCH_ATTRIBUTES);
    });

    it('registers them on the namespace the worker and gateway use, on the temporal service', () => {
      const env = envOf('temporal-admin-tools');
      expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
      for (const [name, schema] of Object.entries(APP_SERVICES)) {
        expect(schema.parse(envOf(name)).TEMPORAL_NAMESPACE, name).toBe(env.TEMPORAL_NAMESPACE);
      }
    });
  });

  it('runs the worker entry point with tsx from the image', () => {
    const command = service('worker').command;
    expect(Array.isArray(command) ? command : command?.split(/\s+/)).toEqual(['node_modules/.bin/tsx', 'src/worker/main.ts']);
    expect(fs.existsSync(path.join(repoRoot, 'src/worker/main.ts'))).toBe(true);
  });
});

describe('Dockerfile', () => {
  const instructions = dockerfileInstructions();

  it('does not run as root', () => {
    const users = instructions.filter((i) => i.keyword === 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!.args.split(':')[0];
    expect(['root', '0']).not.toContain(user);
  });

  it('runs the gateway entry point by default, with tsx from the production dependencies', () => {
    const entry = instructions.filter((i) => i.keyword === 'ENTRYPOINT' || i.keyword === 'CMD').flatMap((i) => execArgs(i.args));
    expect(entry).toContain('src/api/main.ts');
    expect(fs.existsSync(path.join(repoRoot, 'src/api/main.ts'))).toBe(true);
    expect(entry[0]).toBe('node_modules/.bin/tsx');
    // `npm ci --omit=dev` would drop tsx if it were a devDependency.
    const pkg = JSON.parse(readRepoFile('package.json')) as { dependencies?: Record<string, string> };
    expect(Object.keys(pkg.dependencies ?? {})).toContain('tsx');
  });

  it('copies the directories the worker and gateway read their files from', () => {
    const copied = instructions
      .filter((i) => i.keyword === 'COPY')
      .flatMap((i) => i.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1))
      .map((p) => p.replace(/\/$/, ''));
    const worker = workerEnvSchema.parse(envOf('worker'));
    const gateway = gatewayEnvSchema.parse(envOf('gateway'));
    expect(copied).toContain('src');
    expect(copied).toContain(worker.PLAYBOOKS_DIR);
    expect(copied).toContain(path.dirname(gateway.PRINCIPALS_FILE));
  });
});
