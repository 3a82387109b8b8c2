// npm run schemas: write schemas/*.schema.json from the zod schemas (commit the result).
import fs from 'node:fs';
import { configSchemaFiles, SCHEMAS_DIR } from './config-schemas.js';

fs.mkdirSync(SCHEMAS_DIR, { recursive: true });
for (const [file, text] of Object.entries(configSchemaFiles())) {
  fs.writeFileSync(new URL(file, SCHEMAS_DIR), text);
  console.log(`schemas/${file}`);
}
