// The checks live in src/clients/config/check-files.ts so `interlock validate` runs the same ones.
export { checkConfigFiles, type ConfigPaths, type Located } from '../src/clients/config/check-files.js';
