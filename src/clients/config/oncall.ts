import { rotationFileSchema, type Rotation } from '../../domain/oncall/rotation.js';
import { readConfigFile } from './catalog.js';
import { validateConfig } from './yaml-source.js';

/** The on-call rotation file (ONCALL_FILE): who is on call for each approver tier, validated. */
export function loadRotation(file: string): Rotation {
  // Every problem, with its field path and line, like the other configuration files.
  return validateConfig(rotationFileSchema, readConfigFile(file), file, { empty: {} });
}
