/**
 * Files at rest: everything Tide and the engine leave in the data directory is private to the user Tide
 * runs as — the directory, the SQLite files, the keys, the first admin's password, the audit checkpoint,
 * the serve lock, run directories and engine state — with a real daemon, a real run and the real engine.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { daemonHarness, type DaemonHarness } from '../helpers/daemon-harness.ts';

const harnesses: DaemonHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.cleanup()));
});

// The usual umask (group and others may read), so only Tide's own care makes these files private; the
// in-process daemon does not set one (`tide serve` sets 077 on top).
let umask: number;
beforeAll(() => (umask = process.umask(0o022)));
afterAll(() => process.umask(umask));

const modeOf = (file: string): string => (statSync(file).mode & 0o777).toString(8);

/** Code whose provisioner records the modes of its own working directory and run directory. */
function modeProbeTf(sideEffects: string): string {
  return `
variable "workspace" { type = string }
resource "terraform_data" "probe" {
  provisioner "local-exec" {
    command = "stat -c '%a' . .. > ${sideEffects}/run-dir-modes"
  }
}
`;
}

const PRIVATE_FILES = [
  'tide.db',
  'tide.db-wal',
  'tide.db-shm',
  'jwt-secret',
  'encryption-key',
  'audit-key',
  'audit-checkpoint',
  'initial-admin-password',
];

describe('files at rest', () => {
  it('are 0700 directories and 0600 files after a start and a deploy, engine state included', async () => {
    const h = await daemonHarness({}, '2027-06-01T10:00:00Z');
    harnesses.push(h);
    h.write('workspaces/web/main.tf', modeProbeTf(h.sideEffects));
    h.write('workspaces/web/config.json', { enabled: true });
    await h.restart();

    const queued = await h.api('POST', '/api/v1/workspaces/web/deploy', {});
    expect(queued.status).toBe(202);
    expect(await h.finished(queued.body.id)).toMatchObject({ state: 'succeeded' });

    // The work directory, then the run directory, as the engine's provisioner saw them.
    expect(readFileSync(path.join(h.sideEffects, 'run-dir-modes'), 'utf8').split('\n')).toEqual([
      '700',
      '700',
      '',
    ]);
    const modes = Object.fromEntries(
      [
        '.',
        'runs',
        'state',
        'plugin-cache',
        'state/web',
        'state/web/terraform.tfstate',
        'state/web/terraform.tfstate.backup',
        'serve.lock',
        'serve.owner',
        ...PRIVATE_FILES,
      ].map((entry) => [entry, modeOf(path.join(h.dataDir, entry))]),
    );
    expect(modes).toEqual({
      '.': '700',
      runs: '700',
      state: '700',
      'plugin-cache': '700',
      'state/web': '700',
      'state/web/terraform.tfstate': '600',
      'state/web/terraform.tfstate.backup': '600',
      'serve.lock': '600',
      'serve.owner': '600',
      ...Object.fromEntries(PRIVATE_FILES.map((file) => [file, '600'])),
    });
    // The deploy really wrote state into the private file.
    expect(readFileSync(path.join(h.dataDir, 'state/web/terraform.tfstate'), 'utf8')).toContain(
      'terraform_data',
    );
  }, 120_000);

  it('tightens a data directory an older version or a copy left readable by others, at start', async () => {
    const h = await daemonHarness({}, '2027-06-01T10:00:00Z');
    harnesses.push(h);
    await h.daemon.close(2000);
    // Closed, SQLite has folded its -wal and -shm files back into tide.db (database.test.ts covers them).
    const closedFiles = PRIVATE_FILES.filter((file) => !/-(wal|shm)$/.test(file));
    for (const entry of ['.', 'runs', 'state', ...closedFiles]) chmodSync(path.join(h.dataDir, entry), 0o755);
    mkdirSync(path.join(h.dataDir, 'state', 'web'), { mode: 0o755 });
    writeFileSync(path.join(h.dataDir, 'state', 'web', 'terraform.tfstate'), '{}', { mode: 0o644 });
    writeFileSync(path.join(h.dataDir, 'notes.txt'), 'not Tide’s', { mode: 0o644 });

    await h.restart();

    for (const entry of ['.', 'runs', 'state', 'state/web'])
      expect(modeOf(path.join(h.dataDir, entry)), entry).toBe('700');
    for (const file of [...closedFiles, 'state/web/terraform.tfstate'])
      expect(modeOf(path.join(h.dataDir, file)), file).toBe('600');
    // A file that is not Tide's is left as it was.
    expect(modeOf(path.join(h.dataDir, 'notes.txt'))).toBe('644');
  }, 120_000);
});
