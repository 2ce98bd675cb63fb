import { defineConfig } from 'vitest/config';
import stryker from './stryker.config.mjs';

// Mutation testing asks each mutated module's own unit tests (`<module>.test.ts` beside it) to kill its
// mutants: fast, and it is the module's tests that must pin its behaviour, not an end-to-end run that
// happens to pass through it. DST rules of zoned-time.ts live in dst.test.ts.
const ownTests = (stryker.mutate as string[]).map((file) => file.replace(/\.ts$/, '.test.ts'));

export default defineConfig({
  test: {
    include: [...ownTests, 'src/schedule/dst.test.ts'],
    testTimeout: 30_000,
  },
});
