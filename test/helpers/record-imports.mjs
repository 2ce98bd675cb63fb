/**
 * `node --import ./test/helpers/record-imports.mjs …` appends the URL of every module the process imports
 * to the file named by TIDE_TEST_IMPORTS: how a test sees what a command loads (src/cli/executable.test.ts).
 */
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

// The hooks run in a thread of their own, which loads this file again: only the main thread registers.
if (isMainThread) register(import.meta.url, { data: process.env.TIDE_TEST_IMPORTS });

let file;

export function initialize(data) {
  file = data;
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  appendFileSync(file, `${resolved.url}\n`);
  return resolved;
}
