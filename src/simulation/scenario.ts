import { z } from 'zod';
import { principalsFileSchema } from '../api/auth/principals.js';
import { loadGuardrails, loadPolicy, parsePlaybook, readConfigFile } from '../clients/config/catalog.js';
import { ConfigFileError } from '../clients/config/config-file-error.js';
import { validateConfig } from '../clients/config/yaml-source.js';
import type { Role } from '../domain/actor/actor.js';
import type { Rule } from '../domain/guardrails/controls.js';
import type { AlertDelivery } from '../domain/incident/alert.js';
import {
  alertmanagerIncidentKey,
  alertmanagerWebhookSchema,
  normalizeAlertmanager,
} from '../domain/incident/alertmanager.js';
import { genericAlertSchema, genericIncidentKey, normalizeGeneric } from '../domain/incident/generic.js';
import { incidentIdFor } from '../domain/incident/incident-id.js';
import { rotationFileSchema, type Rotation } from '../domain/oncall/rotation.js';
import type { Playbook } from '../domain/playbook/playbook.js';
import { policySchema, type Policy } from '../domain/policy/policy.js';
import { durationSchema } from '../domain/playbook/duration.js';
import { loadPeopleScript, type PeopleScript } from './script.js';

/** Someone who may act in the simulation, as the principals file describes them. */
export interface SimulatedPerson {
  id: string;
  name: string;
  roles: Role[];
  groups: string[];
  teams?: string[];
}

/** Everything one simulation needs, already parsed. */
export interface Scenario {
  playbook: Playbook;
  policy: Policy;
  alert: AlertDelivery;
  /** When the incident starts (default: now). On-call shifts and freezes are read at simulated time. */
  start?: Date;
  /** The on-call roster (rotation file format; layers and overrides: iCal and PagerDuty sources are not read). */
  roster?: Rotation;
  people: SimulatedPerson[];
  script: PeopleScript;
  /** Standing guardrail rules (config/guardrails.yaml). */
  standingRules?: Array<Omit<Rule, 'source'>>;
  /** Simulated time after which a response still open is reported as such (default 24 h). */
  horizonMs: number;
}

export const DEFAULT_HORIZON_MS = 24 * 3_600_000;

/** What the script says that the rest of the scenario contradicts: unknown people, unknown steps. */
export function checkScenario(s: Scenario): Array<{ path: string; message: string }> {
  const known = new Set(s.people.map((p) => p.id));
  const steps = new Set(s.playbook.steps.map((x) => x.id));
  return s.script.people.flatMap((a, i) => [
    ...(known.has(a.who) ? [] : [{ path: `people.${i}.who`, message: `"${a.who}" is not in the principals` }]),
    ...(a.step && !steps.has(a.step)
      ? [{ path: `people.${i}.step`, message: `"${a.step}" is not a step of playbook ${s.playbook.id}` }]
      : []),
  ]);
}

/** An alert fixture: an Alertmanager webhook (version 4) or Interlock's generic alert. */
export function alertFromJson(value: unknown, file: string, receivedAt = new Date()): AlertDelivery {
  const am = alertmanagerWebhookSchema.safeParse(value);
  if (am.success)
    return normalizeAlertmanager(am.data, incidentIdFor('alertmanager', alertmanagerIncidentKey(am.data)), receivedAt);
  const generic = genericAlertSchema.safeParse(value);
  if (generic.success)
    return normalizeGeneric(generic.data, incidentIdFor('generic', genericIncidentKey(generic.data)), receivedAt);
  const asAm = (value as { version?: unknown } | null)?.version !== undefined;
  throw ConfigFileError.fromZod(file, (asAm ? am.error : generic.error) as z.ZodError);
}

/** The files a simulation is described by (the CLI's options). Paths as given; errors name them. */
export interface ScenarioFiles {
  playbook: string;
  alert: string;
  script?: string;
  roster?: string;
  principals: string;
  policy?: string;
  guardrails?: string;
  /** An ISO date-time with offset. */
  at?: string;
  /** A duration ("24h"). */
  horizon?: string;
}

export function loadScenario(files: ScenarioFiles): Scenario {
  const playbook = parsePlaybook(readConfigFile(files.playbook), files.playbook);
  const policy = files.policy ? loadPolicy(files.policy) : policySchema.parse({});
  let alertJson: unknown;
  try {
    alertJson = JSON.parse(readConfigFile(files.alert));
  } catch (err) {
    if (err instanceof ConfigFileError) throw err;
    throw new ConfigFileError(files.alert, `not valid JSON: ${(err as Error).message}`);
  }
  const start = files.at === undefined ? undefined : new Date(files.at);
  if (start && (!z.iso.datetime({ offset: true }).safeParse(files.at).success || Number.isNaN(start.getTime())))
    throw new ConfigFileError('--at', `"${files.at}" is not a date-time like 2026-12-05T03:00:00Z`);
  const horizon = durationSchema.safeParse(files.horizon ?? '24h');
  if (!horizon.success) throw new ConfigFileError('--horizon', `"${files.horizon}" is not a duration like 24h`);
  const principals = validateConfig(principalsFileSchema, readConfigFile(files.principals), files.principals);
  const scenario: Scenario = {
    playbook,
    policy,
    alert: alertFromJson(alertJson, files.alert, start),
    start,
    roster: files.roster
      ? validateConfig(rotationFileSchema, readConfigFile(files.roster), files.roster, { empty: { tiers: {} } })
      : undefined,
    people: principals.principals.map((p) => ({
      id: p.id,
      name: p.name,
      roles: p.roles,
      groups: p.groups,
      teams: p.teams,
    })),
    script: files.script ? loadPeopleScript(files.script) : { people: [] },
    standingRules: files.guardrails ? loadGuardrails(files.guardrails) : [],
    horizonMs: horizon.data,
  };
  const problems = checkScenario(scenario);
  if (problems.length) throw new ConfigFileError(files.script ?? '--script', problems);
  return scenario;
}
