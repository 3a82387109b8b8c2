import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkComposeFiles, ensureComposeCheck } from '../../scripts/compose-check/index.js';
import {
  OPENSEARCH_VERSION,
  POSTGRES_MAJOR_VERSION,
  PROFILES,
  TEMPORAL_SERVER_VERSION,
} from '../../scripts/stack/profiles.js';
import { DYNAMIC_CONFIG_FILE, HISTORY_SHARDS, PLUGIN } from '../../scripts/stack/temporal-server.js';

/**
 * docker-compose.yml is the container form of the cluster profile (`npm run stack -- up
 * --profile cluster`): the same PostgreSQL, Temporal server, OpenSearch and the same number of
 * nodes, workers and gateways. Compared on the model compose-go loads (scripts/compose-check),
 * against the constants the cluster profile runs, so a version bump on one side fails here.
 */
interface Service {
  image?: string | null;
  build?: unknown;
  command?: string[] | null;
  entrypoint?: string[] | null;
  environment?: Record<string, string | null> | null;
  ports?: unknown[] | null;
  volumes?: Array<{ type: string; source?: string; target: string }> | null;
}

const composeFile = fileURLToPath(new URL('../../docker-compose.yml', import.meta.url));
const cluster = PROFILES.cluster.cluster!;
let services: Record<string, Service>;

beforeAll(async () => {
  const checker = await ensureComposeCheck((m) => console.log(`[compose-check] ${m}`));
  const loaded = checkComposeFiles(checker, [composeFile], {});
  if (!loaded.ok) throw new Error(`docker-compose.yml does not load: ${loaded.error}`);
  services = loaded.project.services;
}, 600_000);

const byImage = (repository: string) =>
  Object.entries(services).filter(([, s]) => s.image?.startsWith(`${repository}:`));
const tagOf = (image: string) => image.slice(image.lastIndexOf(':') + 1);
const script = (s: Service) => [...(s.entrypoint ?? []), ...(s.command ?? [])].join('\n');
const workers = () => Object.entries(services).filter(([, s]) => s.build && s.command?.includes('src/worker/main.ts'));
// The image's default command is the gateway (see the Dockerfile), so a gateway sets none.
const gateways = () => Object.entries(services).filter(([, s]) => s.build && !s.command);

describe('docker-compose.yml runs what the cluster profile runs', () => {
  it(`PostgreSQL ${POSTGRES_MAJOR_VERSION}`, () => {
    expect(byImage('postgres').map(([, s]) => s.image)).toEqual([`postgres:${POSTGRES_MAJOR_VERSION}`]);
  });

  it(`the Temporal server ${TEMPORAL_SERVER_VERSION} (not auto-setup, not the dev server), on ${PLUGIN}`, () => {
    const servers = byImage('temporalio/server');
    expect(servers.map(([, s]) => s.image)).toEqual([`temporalio/server:${TEMPORAL_SERVER_VERSION}`]);
    expect(byImage('temporalio/auto-setup')).toEqual([]);
    const env = servers[0]![1].environment ?? {};
    expect(env.DB).toBe(PLUGIN);
    expect(Number(env.NUM_HISTORY_SHARDS)).toBe(HISTORY_SHARDS);
  });

  it('the same dynamic configuration file', () => {
    const [, server] = byImage('temporalio/server')[0]!;
    const mount = server.volumes?.find((v) => v.target === server.environment?.DYNAMIC_CONFIG_FILE_PATH);
    expect(mount?.source).toBe(path.resolve(DYNAMIC_CONFIG_FILE));
  });

  it('the schema set up by the SQL tool of the same server version, and admin tools of that version', () => {
    const tools = byImage('temporalio/admin-tools');
    expect(tools.length).toBeGreaterThan(0);
    for (const [name, s] of tools) expect(tagOf(s.image!).split('-')[0], name).toBe(TEMPORAL_SERVER_VERSION);
    const schema = tools.find(([, s]) => script(s).includes('temporal-sql-tool'));
    expect(schema, 'a service runs temporal-sql-tool').toBeDefined();
    expect(schema![1].environment?.SQL_PLUGIN).toBe(PLUGIN);
    for (const step of ['create-database', 'setup-schema', 'update-schema']) expect(script(schema![1])).toContain(step);
  });

  it(`${1 + cluster.extraOpenSearchNodes.length} OpenSearch ${OPENSEARCH_VERSION} nodes, one of them the cluster manager`, () => {
    const nodes = byImage('opensearchproject/opensearch');
    expect(nodes).toHaveLength(1 + cluster.extraOpenSearchNodes.length);
    for (const [name, s] of nodes) expect(s.image, name).toBe(`opensearchproject/opensearch:${OPENSEARCH_VERSION}`);
    const managers = nodes.filter(([, s]) => s.environment?.['node.roles']?.split(',').includes('cluster_manager'));
    expect(managers).toHaveLength(1);
  });

  it(`${cluster.workers} workers keeping ${cluster.auditIndexReplicas} replica(s) of each audit index`, () => {
    expect(workers()).toHaveLength(cluster.workers);
    for (const [name, s] of workers())
      expect(Number(s.environment?.AUDIT_INDEX_REPLICAS), name).toBe(cluster.auditIndexReplicas);
  });

  it('workers and gateways reach every OpenSearch node, as the cluster profile gives them', () => {
    const nodes = Object.keys(services).filter((n) => n.startsWith('opensearch-node'));
    expect(nodes).toHaveLength(1 + cluster.extraOpenSearchNodes.length);
    for (const [name, s] of [...workers(), ...gateways()])
      expect(String(s.environment?.OPENSEARCH_URL).split(','), name).toEqual(nodes.map((n) => `http://${n}:9200`));
  });

  it(`${cluster.gatewayPorts.length} gateways, each published on its own host port`, () => {
    expect(gateways()).toHaveLength(cluster.gatewayPorts.length);
    const published = gateways().flatMap(([, s]) => (s.ports ?? []).map((p) => (p as { published: string }).published));
    expect(new Set(published).size).toBe(cluster.gatewayPorts.length);
  });
});
