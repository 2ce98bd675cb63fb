#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so `npx tide` from a checkout always runs the code
// that is there (no stale build). See docs/decisions/002-typescript-runs-through-tsx.md.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2));
