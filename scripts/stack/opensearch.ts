import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isPortOpen, run, startProcess, StackError, waitUntilReady, which, type ManagedProcess } from './process.js';
import { cacheDir, OPENSEARCH_SYSTEM_USER, OPENSEARCH_VERSION, type StackProfile } from './profiles.js';
import { systemUserIdentity } from './system-user.js';

export interface OpenSearchEndpoint {
  url: string;
  process?: ManagedProcess;
}

const ARTIFACT = `org.opensearch.distribution.integ-test-zip:opensearch:${OPENSEARCH_VERSION}:zip`;
// Pinned: `copy -Dartifact` behaves the same across 3.x, and an unpinned plugin would be
// resolved from whatever Maven considers latest on that machine.
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

async function opensearchHealthy(url: string, nodes = 1): Promise<boolean> {
  try {
    const res = await fetch(`${url}/_cluster/health?wait_for_status=yellow&wait_for_nodes=${nodes}&timeout=1s`, {
      signal: AbortSignal.timeout(3000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

async function isOpenSearch(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    const body = (await res.json()) as { version?: { distribution?: string } };
    return body.version?.distribution === 'opensearch';
  } catch {
    return false;
  }
}

/** Download (with mvn) and unpack the OpenSearch integ-test distribution into the cache once. */
async function ensureOpenSearchHome(log: (msg: string) => void): Promise<string> {
  const root = path.join(cacheDir(), 'opensearch');
  const home = path.join(root, `opensearch-${OPENSEARCH_VERSION}`);
  if (fs.existsSync(path.join(home, 'bin', 'opensearch'))) return home;

  if (!which('mvn'))
    throw new StackError('Maven (mvn) is needed to fetch OpenSearch: apt-get install maven, or set OPENSEARCH_URL.');
  if (!which('unzip'))
    throw new StackError('unzip is needed to unpack OpenSearch: apt-get install unzip, or set OPENSEARCH_URL.');
  const downloads = path.join(cacheDir(), 'downloads');
  fs.mkdirSync(downloads, { recursive: true });
  const zip = path.join(downloads, `opensearch-${OPENSEARCH_VERSION}.zip`);
  if (!fs.existsSync(zip)) {
    log(`OpenSearch: fetching ${ARTIFACT} from Maven Central (first run only)...`);
    await run(
      'mvn',
      ['-B', '-q', `${DEPENDENCY_PLUGIN}:copy`, `-Dartifact=${ARTIFACT}`, `-DoutputDirectory=${downloads}`],
      {
        cwd: os.tmpdir(),
      },
    );
  }
  // Unpack beside the final place and rename, so an interrupted unzip never looks installed.
  const staging = path.join(root, `.staging-${process.pid}`);
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  await run('unzip', ['-q', zip, '-d', staging]);
  fs.renameSync(path.join(staging, `opensearch-${OPENSEARCH_VERSION}`), home);
  fs.rmSync(staging, { recursive: true, force: true });
  return home;
}

function javaHome(): string {
  const fromEnv = process.env.OPENSEARCH_JAVA_HOME ?? process.env.JAVA_HOME;
  if (fromEnv) return fromEnv;
  const java = which('java');
  if (!java)
    throw new StackError(
      'Java 17+ is needed to run OpenSearch: apt-get install openjdk-17-jre-headless, or set OPENSEARCH_URL.',
    );
  return path.dirname(path.dirname(fs.realpathSync(java)));
}

export async function ensureOpenSearch(profile: StackProfile, log: (msg: string) => void): Promise<OpenSearchEndpoint> {
  const external = process.env.OPENSEARCH_URL;
  if (external) {
    if (!(await opensearchHealthy(external))) {
      throw new StackError(`OPENSEARCH_URL=${external} is set but no healthy OpenSearch answers there.`);
    }
    log(`OpenSearch: using OPENSEARCH_URL=${external}`);
    return { url: external };
  }
  const url = `http://127.0.0.1:${profile.opensearchHttpPort}`;
  if (await isPortOpen(profile.opensearchHttpPort)) {
    if (!(await isOpenSearch(url))) {
      throw new StackError(
        `Port ${profile.opensearchHttpPort} is taken by something that is not OpenSearch. Stop it, or set OPENSEARCH_URL.`,
      );
    }
    log(`OpenSearch: reusing the node already running on ${url}`);
    if (!(await opensearchHealthy(url)))
      throw new StackError(`OpenSearch on ${url} is not healthy (cluster status red).`);
    return { url };
  }
  if (await isPortOpen(profile.opensearchTransportPort)) {
    throw new StackError(`Port ${profile.opensearchTransportPort} (OpenSearch transport) is taken by another process.`);
  }

  const proc = await startOpenSearchNode(
    profile,
    { name: profile.name, httpPort: profile.opensearchHttpPort, transportPort: profile.opensearchTransportPort },
    log,
  );
  await waitUntilReady(proc, () => opensearchHealthy(url), 180_000);
  return { url, process: proc };
}

/** One node of a profile: where it listens, and (in a cluster) how it finds the others. */
export interface OpenSearchNodeSpec {
  /** Names its directory under <cache>/opensearch and, in a cluster, the node. */
  name: string;
  httpPort: number;
  transportPort: number;
  cluster?: {
    roles: string[];
    /** Every node's transport address, so each finds the others. */
    seedHosts: string[];
    /** The cluster-manager-eligible nodes that bootstrap the cluster the first time. */
    initialManagers: string[];
  };
}

/** Start one OpenSearch node (as the system user when we are root); resolves once its process runs. */
export async function startOpenSearchNode(
  profile: StackProfile,
  node: OpenSearchNodeSpec,
  log: (msg: string) => void,
): Promise<ManagedProcess> {
  const home = await ensureOpenSearchHome(log);
  const nodeDir = path.join(cacheDir(), 'opensearch', node.name);
  const dataDir = path.join(nodeDir, 'data');
  const logsDir = path.join(nodeDir, 'logs');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.mkdirSync(logsDir, { recursive: true });
  const logDir = path.join(cacheDir(), 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const identity = await systemUserIdentity(OPENSEARCH_SYSTEM_USER, [home, nodeDir]);
  const discovery = node.cluster
    ? [
        `-Enode.name=${path.basename(node.name)}`,
        `-Enode.roles=${node.cluster.roles.join(',')}`,
        `-Ediscovery.seed_hosts=${node.cluster.seedHosts.join(',')}`,
        `-Ecluster.initial_cluster_manager_nodes=${node.cluster.initialManagers.join(',')}`,
      ]
    : ['-Ediscovery.type=single-node'];

  const heap = process.env.OPENSEARCH_HEAP ?? '512m';
  const url = `http://127.0.0.1:${node.httpPort}`;
  const proc = startProcess(
    `OpenSearch ${node.name}`,
    path.join(home, 'bin', 'opensearch'),
    [
      ...discovery,
      '-Enetwork.host=127.0.0.1',
      `-Ehttp.port=${node.httpPort}`,
      `-Etransport.port=${node.transportPort}`,
      `-Ecluster.name=interlock-${profile.name}`,
      `-Epath.data=${dataDir}`,
      `-Epath.logs=${logsDir}`,
      // A nearly full disk must not silently turn the audit indices read-only on a dev box.
      '-Ecluster.routing.allocation.disk.threshold_enabled=false',
    ],
    path.join(logDir, `opensearch-${node.name.replaceAll('/', '-')}.log`),
    {
      ...identity,
      cwd: home,
      env: { PATH: process.env.PATH, JAVA_HOME: javaHome(), OPENSEARCH_JAVA_OPTS: `-Xms${heap} -Xmx${heap}` },
    },
  );
  log(`OpenSearch: starting ${OPENSEARCH_VERSION} node ${node.name} on ${url} (log: ${proc.logFile})`);
  return proc;
}

/** The nodes of a cluster profile: the first is the cluster manager, the others hold data only. */
export function clusterNodes(profile: StackProfile): OpenSearchNodeSpec[] {
  const all = [
    { httpPort: profile.opensearchHttpPort, transportPort: profile.opensearchTransportPort },
    ...profile.cluster!.extraOpenSearchNodes,
  ];
  const seedHosts = all.map((n) => `127.0.0.1:${n.transportPort}`);
  return all.map((n, i) => ({
    ...n,
    name: `${profile.name}/node-${i + 1}`,
    // One cluster-manager-eligible node: with two eligible nodes the voting configuration holds
    // only one of them anyway, so losing it would stop the cluster whichever it was. Naming it
    // makes the node that may be lost (node-2, data only) the same on every run.
    cluster: {
      roles: i === 0 ? ['cluster_manager', 'data', 'ingest'] : ['data', 'ingest'],
      seedHosts,
      initialManagers: [`node-1`],
    },
  }));
}

/**
 * Start (or reuse) a cluster profile's OpenSearch nodes; resolves once all of them have joined.
 * The first node's URL is the one the worker and gateway use (it is the cluster manager).
 */
export async function ensureOpenSearchCluster(
  profile: StackProfile,
  log: (msg: string) => void,
): Promise<{ url: string; nodes: OpenSearchEndpoint[] }> {
  const specs = clusterNodes(profile);
  const url = `http://127.0.0.1:${profile.opensearchHttpPort}`;
  const nodes = await Promise.all(
    specs.map(async (spec): Promise<OpenSearchEndpoint> => {
      const nodeUrl = `http://127.0.0.1:${spec.httpPort}`;
      if (await isPortOpen(spec.httpPort)) {
        if (!(await isOpenSearch(nodeUrl)))
          throw new StackError(`Port ${spec.httpPort} is taken by something that is not OpenSearch.`);
        log(`OpenSearch: reusing node ${spec.name} on ${nodeUrl}`);
        return { url: nodeUrl };
      }
      if (await isPortOpen(spec.transportPort))
        throw new StackError(`Port ${spec.transportPort} (OpenSearch transport) is taken by another process.`);
      return { url: nodeUrl, process: await startOpenSearchNode(profile, spec, log) };
    }),
  );
  const started = nodes.flatMap((n) => (n.process ? [n.process] : []));
  try {
    await Promise.all(started.map((proc) => waitUntilReady(proc, () => opensearchHealthy(url, specs.length), 240_000)));
  } catch (err) {
    await Promise.all(started.map((p) => p.stop()));
    throw err;
  }
  return { url, nodes };
}
