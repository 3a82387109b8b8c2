// Entry point of `interlock` (bin/interlock.js loads it); the commands are in program.ts.
import { EXIT } from './errors.js';
import { run } from './program.js';

process.once('SIGINT', () => process.exit(EXIT.interrupted));
const code = await run(process.argv);
// Exit only once stdout has drained into a pipe, or a large --json answer would be cut short.
process.stdout.write('', () => process.exit(code));
