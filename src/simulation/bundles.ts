import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { cacheDir } from '../../scripts/stack/profiles.js';
import {
  payloadConverterPath,
  webpackConfigHook,
  workflowInterceptorModules,
  workflowsPath,
} from '../worker/workflow-bundle.js';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

/** Every source file a workflow bundle can contain, hashed: an edit makes a new bundle. */
function sourceDigest(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(c?js|ts)$/.test(entry.name)) hash.update(full).update(fs.readFileSync(full));
    }
  };
  for (const dir of ['workflows', 'domain', 'contracts', 'simulation/workflow']) walk(path.join(SRC, dir));
  hash.update(fs.readFileSync(payloadConverterPath));
  const lock = path.join(SRC, '..', 'package-lock.json');
  if (fs.existsSync(lock)) hash.update(fs.readFileSync(lock));
  return hash.digest('hex').slice(0, 16);
}

/**
 * Workflow bundles for a simulation, built once per version of the sources and kept in the cache
 * (webpack takes most of a simulation's wall time otherwise): the response's (exactly what the
 * worker bundles) and the scripted people's clock.
 */
export async function simulationBundles(
  log: (message: string) => void,
  withIncident = true,
): Promise<{ incident?: string; people: string }> {
  const dir = path.join(cacheDir(), 'simulation', sourceDigest());
  const incident = path.join(dir, 'incident-workflows.js');
  const people = path.join(dir, 'people-workflows.js');
  const have = (f: string) => fs.existsSync(f);
  if (have(people) && (!withIncident || have(incident)))
    return { incident: withIncident ? incident : undefined, people };
  log('bundling the workflows (once per version of the sources)...');
  fs.mkdirSync(dir, { recursive: true });
  const write = async (file: string, entry: string, interceptors: string[]) => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: entry,
      webpackConfigHook,
      payloadConverterPath,
      workflowInterceptorModules: interceptors,
      logger: quiet,
    });
    // Written beside and renamed: a concurrent run never reads half a bundle.
    fs.writeFileSync(`${file}.${process.pid}`, code);
    fs.renameSync(`${file}.${process.pid}`, file);
  };
  if (withIncident && !have(incident)) await write(incident, workflowsPath, workflowInterceptorModules);
  if (!have(people)) await write(people, path.join(SRC, 'simulation', 'workflow', 'index.ts'), []);
  return { incident: withIncident ? incident : undefined, people };
}
