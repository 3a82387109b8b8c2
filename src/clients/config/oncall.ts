import { rotationFileSchema, type Rotation } from '../../domain/oncall/rotation.js';
import { readConfigFile } from './catalog.js';
import { validateConfig } from './yaml-source.js';

/** The on-call rotation file (ONCALL_FILE): who is on call for each approver tier, validated. */
export function loadRotation(file: string): Rotation {
  return parseRotation(readConfigFile(file), file);
}

/** Every problem, with its field path and line, like the other configuration files. */
export function parseRotation(source: string, file: string): Rotation {
  return validateConfig(rotationFileSchema, source, file, { empty: {} });
}
