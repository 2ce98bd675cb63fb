// CI's mutation run: Stryker on the target modules (stryker.config.mjs) that the commit under test changed,
// or whose own unit tests it changed. A whole run of every target takes minutes the CI budget is better
// spent on; a module nobody touched keeps the score recorded in docs/testing.md.
//
//   node scripts/mutation-changed.mjs [base]   base: the commit to compare with (default HEAD~1)
//
// Exit status: Stryker's (1 when a module scores below the break threshold), 0 when nothing changed.
import { execFileSync, spawnSync } from 'node:child_process';
import stryker from '../stryker.config.mjs';

const base = process.argv[2] ?? process.env.TIDE_MUTATION_BASE ?? 'HEAD~1';

function changedFiles() {
  try {
    const out = execFileSync('git', ['-c', 'safe.directory=*', 'diff', '--name-only', base, 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Set(out.split('\n').filter(Boolean));
  } catch {
    // A clone without the base commit (shallow, or the first commit): every target counts as changed.
    return null;
  }
}

const changed = changedFiles();
const targets = stryker.mutate.filter(
  (module) => changed === null || changed.has(module) || changed.has(module.replace(/\.ts$/, '.test.ts')),
);
if (targets.length === 0) {
  console.log(`mutation: no target module or its tests changed since ${base}; nothing to mutate`);
  process.exit(0);
}
console.log(
  `mutation: ${changed === null ? `${base} is not in this clone, so every target` : `changed since ${base}`}: ${targets.join(', ')}`,
);
const run = spawnSync('npx', ['stryker', 'run', '--mutate', targets.join(','), '--reporters', 'clear-text'], {
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
