#!/usr/bin/env node
// Runs the JavaScript compiled into dist/ (`npm run build`; `npm ci` builds it), so no TypeScript is
// compiled when a command runs. A missing dist/, or in a checkout one older than src/, stops here with
// what to run: old code that looks current is worse than an error. See
// docs/decisions/012-compiled-javascript.md.
import { staleBuild } from '../scripts/build.mjs';

const problem = staleBuild(new URL('..', import.meta.url));
if (problem !== null) {
  process.stderr.write(`tide: ${problem}\n`);
  process.exit(1);
}
const { main } = await import('../dist/cli/main.js');
await main();
