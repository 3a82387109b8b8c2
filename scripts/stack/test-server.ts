import fs from 'node:fs';
import path from 'node:path';
import { run, StackError, which } from './process.js';
import { cacheDir } from './profiles.js';

/**
 * Temporal's time-skipping test server (the one `@temporalio/testing` would download, which it
 * cannot here) is published on Maven Central as a Java library. We fetch it and its dependencies
 * with Maven once into the cache, and write a wrapper script that `TestWorkflowEnvironment.
 * createTimeSkipping({ server: { executable: { type: 'existing-path', path } } })` can run:
 * the SDK starts the executable with the port as its only argument.
 */
export interface TimeSkippingServer {
  /** An executable that starts the test server on the port given as its first argument. */
  wrapperPath: string;
}

/** Pinned: the Java SDK's release of the test server, fetched once and reused. */
export const TEMPORAL_TEST_SERVER_VERSION = '1.31.0';
const ARTIFACT = { groupId: 'io.temporal', artifactId: 'temporal-test-server' };
// Pinned, as for OpenSearch: an unpinned plugin would be whatever Maven thinks latest there.
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
const MAIN_CLASS = 'io.temporal.testserver.TestServer';

/** A pom whose only purpose is to name the test server as a dependency for copy-dependencies. */
function fetchPom(version: string): string {
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.interlock</groupId>
  <artifactId>fetch-temporal-test-server</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>${ARTIFACT.groupId}</groupId>
      <artifactId>${ARTIFACT.artifactId}</artifactId>
      <version>${version}</version>
    </dependency>
  </dependencies>
</project>
`;
}

/** The jars (test server + runtime dependencies) in the cache, fetched with mvn on first use. */
async function ensureJars(root: string, log: (msg: string) => void): Promise<string> {
  const lib = path.join(root, 'lib');
  const mainJar = path.join(lib, `${ARTIFACT.artifactId}-${TEMPORAL_TEST_SERVER_VERSION}.jar`);
  if (fs.existsSync(mainJar)) return lib;

  if (!which('mvn')) {
    throw new StackError(
      `Maven (mvn) is needed to fetch the Temporal time-skipping test server (${ARTIFACT.groupId}:${ARTIFACT.artifactId}:${TEMPORAL_TEST_SERVER_VERSION}): apt-get install maven, or set TEMPORAL_TEST_SERVER_PATH.`,
    );
  }
  log(
    `Temporal test server: fetching ${ARTIFACT.groupId}:${ARTIFACT.artifactId}:${TEMPORAL_TEST_SERVER_VERSION} and its dependencies from Maven Central (first run only)...`,
  );
  // Fetch into a staging directory and rename, so an interrupted download never looks complete
  // (and two test runs provisioning at once do not mix their files).
  const staging = path.join(root, `.staging-${process.pid}`);
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  try {
    fs.writeFileSync(path.join(staging, 'pom.xml'), fetchPom(TEMPORAL_TEST_SERVER_VERSION));
    await run(
      'mvn',
      [
        '-B',
        '-q',
        '-f',
        path.join(staging, 'pom.xml'),
        `${DEPENDENCY_PLUGIN}:copy-dependencies`,
        '-DincludeScope=runtime',
        `-DoutputDirectory=${path.join(staging, 'lib')}`,
      ],
      { cwd: staging },
    );
    if (!fs.existsSync(path.join(staging, 'lib', path.basename(mainJar)))) {
      throw new StackError(`mvn finished but ${path.basename(mainJar)} is not among the copied jars`);
    }
    try {
      fs.renameSync(path.join(staging, 'lib'), lib);
    } catch (err) {
      // Another run finished first: its copy is as good as ours.
      if (!fs.existsSync(mainJar)) throw err;
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return lib;
}

function javaExecutable(): string {
  const fromEnv = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : undefined;
  if (fromEnv && fs.existsSync(fromEnv)) return fromEnv;
  const java = which('java');
  if (!java) {
    throw new StackError(
      'Java (8 or later; 17 is what the stack uses) is needed to run the Temporal time-skipping test server: apt-get install openjdk-17-jre-headless, or set TEMPORAL_TEST_SERVER_PATH.',
    );
  }
  return java;
}

/**
 * Make sure the time-skipping test server can be started, and return the executable to give
 * the SDK. `TEMPORAL_TEST_SERVER_PATH` names one the user already has (e.g. the native build
 * the SDK would have downloaded); it must take the port as its first argument.
 */
export async function ensureTimeSkippingServer(
  log: (msg: string) => void = (msg) => console.log(msg),
): Promise<TimeSkippingServer> {
  const external = process.env.TEMPORAL_TEST_SERVER_PATH;
  if (external) {
    try {
      fs.accessSync(external, fs.constants.X_OK);
    } catch {
      throw new StackError(`TEMPORAL_TEST_SERVER_PATH=${external} is set but is not an executable file.`);
    }
    log(`Temporal test server: using TEMPORAL_TEST_SERVER_PATH=${external}`);
    return { wrapperPath: path.resolve(external) };
  }
  const java = javaExecutable();
  const root = path.join(cacheDir(), 'temporal-test-server', TEMPORAL_TEST_SERVER_VERSION);
  fs.mkdirSync(root, { recursive: true });
  const lib = await ensureJars(root, log);

  // Rewritten on every call (it is tiny) so it follows the Java found now, not on the first run.
  // Written beside and renamed, so a concurrent run never executes a half-written script.
  const wrapperPath = path.join(root, 'test-server.sh');
  const script = `#!/bin/sh\n# Written by scripts/stack/test-server.ts: the SDK passes the port as "$1".\nexec ${shellQuote(java)} -cp ${shellQuote(`${lib}/*`)} ${MAIN_CLASS} "$@"\n`;
  const temp = `${wrapperPath}.${process.pid}`;
  fs.writeFileSync(temp, script, { mode: 0o755 });
  fs.renameSync(temp, wrapperPath);
  return { wrapperPath };
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
