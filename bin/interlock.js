#!/usr/bin/env node
// The `interlock` command. The CLI is TypeScript run through tsx, like the other scripts, so a
// fresh clone needs only `npm install`: register tsx's loader, then load the entry point.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
