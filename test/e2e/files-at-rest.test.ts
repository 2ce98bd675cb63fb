/**
 * Files at rest: everything Tide and the engine leave in the data directory is private to the user Tide
 * runs as — the directory, the SQLite files, the keys, the first admin's password, the audit checkpoint,
 * the serve lock and run directories — with a real daemon, a real run and the real engine. Engine state
 * lives in the database, encrypted: after a deploy no file under the data directory holds a sensitive
 * value, the SQLite files included.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
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

const SECRET = 'sensitive-7f3a9c1e-in-state';

/**
 * Code whose provisioner records the modes of its own working directory and run directory, and whose
 * state holds a sensitive variable's value (as the resource's input and an output).
 */
function modeProbeTf(sideEffects: string): string {
  return `
variable "workspace" { type = string }
variable "api_token" {
  type      = string
  sensitive = true
}
resource "terraform_data" "probe" {
  input = var.api_token
  provisioner "local-exec" {
    command = "stat -c '%a' . .. > ${sideEffects}/run-dir-modes"
  }
}
output "token" {
  value     = var.api_token
  sensitive = true
}
`;
}

/** Every file under `dir` whose bytes contain `text`. */
function filesContaining(dir: string, text: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => readFileSync(file).includes(text));
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
  it('are 0700 directories and 0600 files after a start and a deploy, and none holds a sensitive value', async () => {
    const h = await daemonHarness({}, '2027-06-01T10:00:00Z');
    harnesses.push(h);
    h.write('workspaces/web/main.tf', modeProbeTf(h.sideEffects));
    h.write('workspaces/web/config.json', { enabled: true, sensitive_variables: ['api_token'] });
    await h.restart();
    expect(
      (await h.api('PUT', '/api/v1/workspaces/web/variables', { sensitive: { api_token: SECRET } })).status,
    ).toBe(200);

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
      ['.', 'runs', 'plugin-cache', 'serve.lock', 'serve.owner', ...PRIVATE_FILES].map((entry) => [
        entry,
        modeOf(path.join(h.dataDir, entry)),
      ]),
    );
    expect(modes).toEqual({
      '.': '700',
      runs: '700',
      'plugin-cache': '700',
      'serve.lock': '600',
      'serve.owner': '600',
      ...Object.fromEntries(PRIVATE_FILES.map((file) => [file, '600'])),
    });
    // The deploy really wrote state holding the value, into the database, encrypted.
    const state = await h.api('GET', '/api/v1/workspaces/web/state/content');
    expect(JSON.stringify(state.body)).toContain(SECRET);
    expect(existsSync(path.join(h.dataDir, 'state'))).toBe(false);
    await h.daemon.close(2000);
    expect(filesContaining(h.dataDir, SECRET)).toEqual([]);
  }, 120_000);

  it('tightens a data directory an older version or a copy left readable by others, at start', async () => {
    const h = await daemonHarness({}, '2027-06-01T10:00:00Z');
    harnesses.push(h);
    await h.daemon.close(2000);
    // Closed, SQLite has folded its -wal and -shm files back into tide.db (database.test.ts covers them).
    const closedFiles = PRIVATE_FILES.filter((file) => !/-(wal|shm)$/.test(file));
    for (const entry of ['.', 'runs', ...closedFiles]) chmodSync(path.join(h.dataDir, entry), 0o755);
    // An older version's local state: one it could import, and one that is not a state at all (kept).
    mkdirSync(path.join(h.dataDir, 'state', 'web'), { recursive: true, mode: 0o755 });
    chmodSync(path.join(h.dataDir, 'state'), 0o755);
    writeFileSync(path.join(h.dataDir, 'state', 'web', 'terraform.tfstate'), '{}', { mode: 0o644 });
    mkdirSync(path.join(h.dataDir, 'state', 'api'), { mode: 0o755 });
    const older = { version: 4, serial: 3, lineage: 'older', resources: [] };
    writeFileSync(path.join(h.dataDir, 'state', 'api', 'terraform.tfstate'), JSON.stringify(older), {
      mode: 0o644,
    });
    writeFileSync(path.join(h.dataDir, 'notes.txt'), 'not Tide’s', { mode: 0o644 });

    await h.restart();

    for (const entry of ['.', 'runs', 'state', 'state/web'])
      expect(modeOf(path.join(h.dataDir, entry)), entry).toBe('700');
    for (const file of [...closedFiles, 'state/web/terraform.tfstate'])
      expect(modeOf(path.join(h.dataDir, file)), file).toBe('600');
    // A file that is not Tide's is left as it was.
    expect(modeOf(path.join(h.dataDir, 'notes.txt'))).toBe('644');
    // The state file was imported into the database and removed.
    expect(existsSync(path.join(h.dataDir, 'state', 'api'))).toBe(false);
    const imported = await h.api('GET', '/api/v1/workspaces/api/state');
    expect(imported.body.versions).toMatchObject([
      { serial: 3, written_by: 'import:state/api/terraform.tfstate' },
    ]);
  }, 120_000);
});
