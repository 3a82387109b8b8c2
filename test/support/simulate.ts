import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import {
  loadScenario,
  parsePeopleScript,
  simulate,
  type PeopleScript,
  type Scenario,
  type ScenarioFiles,
  type SimulationReport,
} from '../../src/simulation/index.js';
import { installTestRuntime } from './interlock.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const repoPath = (p: string) => path.join(REPO, p);

/**
 * A playbook test: the scenario's files (paths from the repository root; defaults: the example
 * alert, the development principals and policy, no roster), a people script (inline or a file),
 * run on the integration suite's time-skipping server executable and prebuilt workflow bundle.
 * The report's `passed` is false when something ran without the consent its policy requires.
 */
export async function simulatePlaybook(
  files: Partial<ScenarioFiles> & { playbook: string },
  options: { script?: PeopleScript | string; adjust?: (s: Scenario) => Scenario } = {},
): Promise<SimulationReport> {
  installTestRuntime();
  const scenario = loadScenario({
    alert: repoPath('examples/alertmanager-webhook.json'),
    principals: repoPath('config/principals.dev.yaml'),
    policy: repoPath('config/policy.yaml'),
    ...files,
    playbook: path.resolve(REPO, files.playbook),
  });
  if (options.script !== undefined)
    scenario.script =
      typeof options.script === 'string' ? parsePeopleScript(options.script, 'inline script') : options.script;
  return simulate(options.adjust ? options.adjust(scenario) : scenario, {
    serverPath: inject('timeSkippingServerPath'),
    workflowBundlePath: inject('workflowBundlePath'),
  });
}
