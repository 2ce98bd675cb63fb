import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../../test/helpers/api-server.ts';
import { createTestToken } from '../../../test/helpers/auth-fixture.ts';
import { runTideInProcess } from '../../../test/helpers/run-cli.ts';
import { claimNextQueued } from '../../run/run.repo.ts';

let server: ApiServer;
let scratch: string;
beforeAll(async () => {
  server = await startApiServer();
  scratch = await mkdtemp(path.join(tmpdir(), 'tide-state-cli-'));
});
afterAll(async () => {
  await server.close();
  await rm(scratch, { recursive: true, force: true });
});
beforeEach(() => server.reset());

const tide = (...args: string[]) => runTideInProcess(args, { env: server.env });

/** Two versions of web's state, written by a run through the backend as the engine would. */
async function writeTwoVersions(): Promise<string> {
  const { fixture } = server;
  await fixture.runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'manual' });
  const run = await claimNextQueued(fixture.db, { owner: 'runner-a', leaseMs: 30_000, clock: fixture.clock });
  const caller = fixture.state.credentials.issue(run!);
  for (const resources of [['a'], ['a', 'b']]) {
    const document = { version: 4, serial: resources.length, lineage: 'lineage-abcdef12', resources };
    await fixture.state.backend.write('web', caller, Buffer.from(JSON.stringify(document)), undefined);
  }
  await fixture.db.updateTable('runs').set({ state: 'succeeded', lease_expires_at: null }).execute();
  return run!.id;
}

describe('tide state (a client of a live API)', () => {
  it('lists versions newest first, with who wrote them', async () => {
    const runId = await writeTwoVersions();
    const result = await tide('state', 'list', 'web');
    expect(result.status).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SERIAL\s+WRITTEN\s+BY\s+SIZE\s+LINEAGE$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/)[0])).toEqual(['2', '1']);
    expect(lines[1]).toContain(`run:${runId}`);
    expect(lines[1]).toContain('lineage-');
    const empty = await tide('state', 'list', 'vault');
    expect(empty.stdout).toBe('vault has no state in Tide yet\n');
  });

  it('shows the latest version or one by serial, and its lock', async () => {
    await writeTwoVersions();
    const latest = await tide('state', 'show', 'web');
    expect(latest.stdout).toMatch(/Serial:\s+2\n/);
    expect(latest.stdout).toMatch(/Lock:\s+none\n/);
    const first = JSON.parse((await tide('state', 'show', 'web', '--serial', '1', '--json')).stdout);
    expect(first).toMatchObject({ version: { serial: 1 }, total: 2, lock: null });
    const missing = await tide('state', 'show', 'web', '--serial', '9');
    expect(missing).toMatchObject({ status: 3, stderr: 'tide: web has no state with serial 9\n' });
  });

  it('pulls the content to stdout or to a new 0600 file, and refuses to overwrite one', async () => {
    await writeTwoVersions();
    const pulled = await tide('state', 'pull', 'web', '--serial', '1');
    expect(JSON.parse(pulled.stdout)).toMatchObject({ serial: 1, resources: ['a'] });
    const file = path.join(scratch, 'web.tfstate');
    expect((await tide('state', 'pull', 'web', '-o', file)).status).toBe(0);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ serial: 2 });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const again = await tide('state', 'pull', 'web', '-o', file);
    expect(again.stderr).toBe(`tide: ${file} already exists: state is not written over a file\n`);
  });

  it('keeps the content from non-admins (exit 7)', async () => {
    await writeTwoVersions();
    const token = await createTestToken(server.fixture.db, { username: 'otto', role: 'operator' });
    const result = await runTideInProcess(['state', 'pull', 'web'], {
      env: { ...server.env, TIDE_TOKEN: token },
    });
    expect(result.status).toBe(7);
    const list = await runTideInProcess(['state', 'list', 'web'], {
      env: { ...server.env, TIDE_TOKEN: token },
    });
    expect(list.status).toBe(0);
  });

  it('rolls back with --yes, and without a terminal refuses to unless told', async () => {
    await writeTwoVersions();
    const refused = await tide('state', 'rollback', 'web', '1');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/without confirmation: stdin is not a terminal; use --yes/);
    const done = await tide('state', 'rollback', 'web', '1', '--yes');
    expect(done.stdout).toBe('state of web rolled back: serial 1 is now the latest, as serial 3\n');
    const latest = JSON.parse((await tide('state', 'pull', 'web')).stdout);
    expect(latest).toMatchObject({ serial: 3, resources: ['a'] });
    const bad = await tide('state', 'rollback', 'web', 'one', '--yes');
    expect(bad).toMatchObject({ status: 2, stderr: 'tide: not a serial: "one" (want a whole number)\n' });
  });
});
