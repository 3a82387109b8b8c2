import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkComposeFiles, ensureComposeCheck } from '../../scripts/compose-check/index.js';
import { SEARCH_ATTRIBUTES } from '../../scripts/stack/profiles.js';
import { gatewayEnvSchema, workerEnvSchema } from '../../src/config/env.js';

/**
 * docker-compose.yml and the Dockerfile cannot be run here (no Docker). The Compose file is
 * loaded by compose-go (scripts/compose-check), the loader Docker Compose v2 uses: the Compose
 * specification's schema and project model decide whether it is valid, and the structural checks
 * below read the model it produced (ports, depends_on, environment normalized), not our own
 * reading of the YAML. The Dockerfile has no such loader here: its checks are text checks.
 */

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const composeFile = path.join(repoRoot, 'docker-compose.yml');
const readRepoFile = (relative: string) => fs.readFileSync(new URL(`../../${relative}`, import.meta.url), 'utf8');

/** A service as compose-go's model serializes it. */
interface ComposeService {
  image?: string | null;
  build?: { context: string; dockerfile: string } | null;
  command?: string[] | null;
  entrypoint?: string[] | null;
  environment?: Record<string, string | null> | null;
  depends_on?: Record<string, { condition: string; required: boolean }> | null;
  ports?: { target: number; published?: string; protocol?: string }[] | null;
}

let checker: string;
let services: Record<string, ComposeService>;
let project: { name: string; services: Record<string, ComposeService> };

/** Load a variant of docker-compose.yml (written beside a copy of the real one) with compose-go. */
function loadVariant(edit: (text: string) => string) {
  const original = readRepoFile('docker-compose.yml');
  const edited = edit(original);
  expect(edited, 'the edit must change the file').not.toBe(original);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compose-variant-'));
  try {
    const file = path.join(dir, 'docker-compose.yml');
    fs.writeFileSync(file, edited);
    return checkComposeFiles(checker, [file], {});
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  // Built once into the stack cache (a Go build: about 15 s warm, longer with an empty module cache).
  checker = await ensureComposeCheck((m) => console.log(`[compose-check] ${m}`));
  // No host variables: the file must load on its own, as on a user's machine.
  const loaded = checkComposeFiles(checker, [composeFile], {});
  if (!loaded.ok) throw new Error(`docker-compose.yml does not load: ${loaded.error}`);
  project = loaded.project;
  services = project.services;
}, 600_000);

function service(name: string): ComposeService {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
}

function envOf(name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(service(name).environment ?? {}).map(([k, v]) => [k, v ?? '']));
}

function dependsOn(s: ComposeService): Record<string, string> {
  return Object.fromEntries(Object.entries(s.depends_on ?? {}).map(([name, spec]) => [name, spec.condition]));
}

function portsOf(name: string): { host: number; container: number }[] {
  return (service(name).ports ?? []).map((p) => ({ host: Number(p.published), container: p.target }));
}

function commandText(s: ComposeService): string {
  return [...(s.entrypoint ?? []), ...(s.command ?? [])].join('\n');
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

// Two of each, as the cluster profile runs them (test/unit/docker-compose-topology.test.ts).
const APP_SERVICES = {
  'worker-1': workerEnvSchema,
  'worker-2': workerEnvSchema,
  'gateway-1': gatewayEnvSchema,
  'gateway-2': gatewayEnvSchema,
} as const;
const WORKERS = ['worker-1', 'worker-2'];

describe('docker-compose.yml, loaded by compose-go (Compose specification schema and model)', () => {
  it('loads as Docker Compose v2 would load it', () => {
    expect(project.name).toBe('interlock');
  });

  it('the loader refuses a copy whose ports are not a list (ports: 12)', () => {
    const broken = loadVariant((text) => text.replace("    ports:\n      - '7233:7233'", '    ports: 12'));
    expect(broken.ok).toBe(false);
    expect(broken.error).toMatch(/services\.temporal\.ports must be a(n)? array/);
  });

  it('the loader refuses a copy that depends on a service that does not exist', () => {
    const broken = loadVariant((text) =>
      text.replace(
        '      temporal-schema:\n        condition: service_completed_successfully',
        '      temporal-schemaz:\n        condition: service_completed_successfully',
      ),
    );
    expect(broken.ok).toBe(false);
    expect(broken.error).toMatch(/depends on undefined service "temporal-schemaz"/);
  });

  it('the loader refuses a copy with a property the specification does not define', () => {
    const broken = loadVariant((text) =>
      text.replace('  init: true\n  stop_grace_period: 30s', '  init: true\n  stop_grace_periode: 30s'),
    );
    expect(broken.ok).toBe(false);
    expect(broken.error).toMatch(/stop_grace_periode/);
  });
});

describe('docker-compose.yml, structural checks on the loaded model', () => {
  it('defines the services of the production topology', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'decision-keys',
        'gateway-1',
        'gateway-2',
        'opensearch-node1',
        'opensearch-node2',
        'postgresql',
        'temporal',
        'temporal-admin-tools',
        'temporal-schema',
        'temporal-ui',
        'worker-1',
        'worker-2',
      ].sort(),
    );
  });

  it('makes the decision keys once and gives the gateway the private half, the worker the public half', () => {
    expect(commandText(service('decision-keys'))).toContain('scripts/decision-keys.ts /keys');
    for (const gateway of ['gateway-1', 'gateway-2'])
      expect(envOf(gateway)).toMatchObject({ DECISION_SIGNING_KEY_FILE: '/keys/decision-signing.pem' });
    for (const worker of WORKERS) {
      expect(envOf(worker)).toMatchObject({ DECISION_KEYS_FILE: '/keys/decision-keys.yaml' });
      expect(dependsOn(service(worker))).toMatchObject({ 'decision-keys': 'service_completed_successfully' });
    }
  });

  it('builds the app from the Dockerfile or uses a pinned image tag for every service', () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.build) {
        expect(s.build, name).toEqual({ context: repoRoot.replace(/\/$/, ''), dockerfile: 'Dockerfile' });
        continue;
      }
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

  it.each(WORKERS)('starts %s only after the search attributes are registered and OpenSearch is healthy', (w) => {
    expect(dependsOn(service(w))).toMatchObject({
      'temporal-admin-tools': 'service_completed_successfully',
      'opensearch-node1': 'service_healthy',
    });
  });

  it('starts the Temporal server only after its schema is set up', () => {
    expect(dependsOn(service('temporal'))).toMatchObject({ 'temporal-schema': 'service_completed_successfully' });
    expect(commandText(service('temporal-schema'))).toMatch(/temporal-sql-tool .*update-schema/);
  });

  it.each(Object.keys(APP_SERVICES))('points %s at the temporal service and every OpenSearch node', (name) => {
    const env = envOf(name);
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    const nodes = (env.OPENSEARCH_URL ?? '').split(',').map((u) => new URL(u));
    expect(nodes.map((u) => `${u.hostname}:${u.port}`)).toEqual(['opensearch-node1:9200', 'opensearch-node2:9200']);
  });

  it.each(Object.entries(APP_SERVICES))('sets only variables %s reads, with values it accepts', (name, schema) => {
    const env = envOf(name);
    const known = Object.keys(schema.shape);
    for (const key of Object.keys(env)) expect(known, `${name}: ${key}`).toContain(key);
    const parsed = schema.safeParse(env);
    expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues)).toBe(true);
  });

  it.each([
    ['gateway-1', 8080],
    ['gateway-2', 8081],
  ])('publishes %s on %i, listening on all interfaces inside the container', (name, host) => {
    const env = gatewayEnvSchema.parse(envOf(name));
    expect(env.HOST).toBe('0.0.0.0');
    expect(portsOf(name)).toContainEqual({ host, container: env.PORT });
  });

  describe('temporal-admin-tools', () => {
    it('registers exactly the search attributes in SEARCH_ATTRIBUTES, each with its type', () => {
      const script = commandText(service('temporal-admin-tools'));
      const registered = Object.fromEntries(
        [...script.matchAll(/^\s*register\s+(\w+)\s+(\w+)\s*$/gm)].map((m) => [m[1], m[2]]),
      );
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
    for (const worker of WORKERS)
      expect(service(worker).command).toEqual(['node_modules/.bin/tsx', 'src/worker/main.ts']);
    expect(fs.existsSync(path.join(repoRoot, 'src/worker/main.ts'))).toBe(true);
  });
});

describe('Dockerfile (text checks: nothing here can build the image)', () => {
  const instructions = dockerfileInstructions();

  it('does not run as root', () => {
    const users = instructions.filter((i) => i.keyword === 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!.args.split(':')[0];
    expect(['root', '0']).not.toContain(user);
  });

  it('runs the gateway entry point by default, with tsx from the production dependencies', () => {
    const entry = instructions
      .filter((i) => i.keyword === 'ENTRYPOINT' || i.keyword === 'CMD')
      .flatMap((i) => execArgs(i.args));
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
      .flatMap((i) =>
        i.args
          .split(/\s+/)
          .filter((a) => !a.startsWith('--'))
          .slice(0, -1),
      )
      .map((p) => p.replace(/\/$/, ''));
    const worker = workerEnvSchema.parse(envOf('worker-1'));
    const gateway = gatewayEnvSchema.parse(envOf('gateway-1'));
    expect(copied).toContain('src');
    expect(copied).toContain(worker.PLAYBOOKS_DIR);
    expect(copied).toContain(path.dirname(gateway.PRINCIPALS_FILE));
  });
});
