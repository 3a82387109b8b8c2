import { rotationFileSchema, type Rotation } from '../../domain/oncall/rotation.js';
import { parseYaml, readConfigFile } from './catalog.js';
import { ConfigFileError } from './config-file-error.js';

/** The on-call rotation file (ONCALL_FILE): who is on call for each approver tier, validated. */
export function loadRotation(file: string): Rotation {
  const parsed = rotationFileSchema.safeParse(parseYaml(readConfigFile(file), file) ?? {});
  if (!parsed.success) throw ConfigFileError.fromZod(file, parsed.error);
  return parsed.data;
}
