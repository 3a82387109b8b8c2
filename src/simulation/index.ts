/** Simulated incidents: the real workflow on a time-skipping server, with recorders for the world. */
export { simulate, type SimulationOptions } from './engine.js';
export { loadScenario, alertFromJson, DEFAULT_HORIZON_MS, type Scenario, type ScenarioFiles } from './scenario.js';
export { parsePeopleScript, loadPeopleScript, type PeopleScript, type ScriptedAction } from './script.js';
export { renderReport } from './render.js';
export type { SimulationReport } from './report.js';
