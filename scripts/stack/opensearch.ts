import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isPortOpen, run, startProcess, StackError, waitUntilReady, which, type ManagedProcess } from './process.js';
import { cacheDir, OPENSEARCH_SYSTEM_USER, OPENSEARCH_VERSION, type StackProfile } from './profiles.js';

export interface OpenSearchEndpoint {
  url: string;
  process?: ManagedProcess;
}

const ARTIFACT = `org.opensearch.distribution.integ-test-zip:opensearch:${OPENSEARCH_VERSION}:zip`;
// Pinned: `copy -Dartifact` behaves the same across 3.x, and an unpinned plugin would be
// resolved from whatever Maven considers latest on that machine.
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

async function opensearchHealthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/_cluster/health?wait_for_status=yellow&timeout=1s`, {
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

/** OpenSearch refuses root. As root, create a system user and give it the OpenSearch dirs. */
async function runAsIdentity(dirs: string[]): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  const lookup = async () => {
    const [uid, gid] = await Promise.all([
      run('id', ['-u', OPENSEARCH_SYSTEM_USER]),
      run('id', ['-g', OPENSEARCH_SYSTEM_USER]),
    ]);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  };
  const identity = await lookup().catch(async () => {
    await run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', OPENSEARCH_SYSTEM_USER]);
    return lookup();
  });
  // The user must be able to traverse every parent of the cache directory.
  for (let dir = cacheDir(); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const mode = fs.statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      throw new StackError(
        `${dir} is not traversable by the ${OPENSEARCH_SYSTEM_USER} user; set INTERLOCK_CACHE_DIR to a directory under a world-traversable path.`,
      );
    }
  }
  for (const dir of dirs) await run('chown', ['-R', `${identity.uid}:${identity.gid}`, dir]);
  return identity;
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

  const home = await ensureOpenSearchHome(log);
  const nodeDir = path.join(cacheDir(), 'opensearch', profile.name);
  const dataDir = path.join(nodeDir, 'data');
  const logsDir = path.join(nodeDir, 'logs');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.mkdirSync(logsDir, { recursive: true });
  const logDir = path.join(cacheDir(), 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const identity = await runAsIdentity([home, nodeDir]);

  const heap = process.env.OPENSEARCH_HEAP ?? '512m';
  const proc = startProcess(
    'OpenSearch',
    path.join(home, 'bin', 'opensearch'),
    [
      '-Ediscovery.type=single-node',
      '-Enetwork.host=127.0.0.1',
      `-Ehttp.port=${profile.opensearchHttpPort}`,
      `-Etransport.port=${profile.opensearchTransportPort}`,
      `-Ecluster.name=interlock-${profile.name}`,
      `-Epath.data=${dataDir}`,
      `-Epath.logs=${logsDir}`,
      // A nearly full disk must not silently turn the audit indices read-only on a dev box.
      '-Ecluster.routing.allocation.disk.threshold_enabled=false',
    ],
    path.join(logDir, `opensearch-${profile.name}.log`),
    {
      ...identity,
      cwd: home,
      env: { PATH: process.env.PATH, JAVA_HOME: javaHome(), OPENSEARCH_JAVA_OPTS: `-Xms${heap} -Xmx${heap}` },
    },
  );
  log(`OpenSearch: starting ${OPENSEARCH_VERSION} on ${url} (log: ${proc.logFile})`);
  await waitUntilReady(proc, () => opensearchHealthy(url), 180_000);
  return { url, process: proc };
}
