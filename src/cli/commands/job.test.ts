import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeExecutor, startApiServer, type ApiServer } from '../../../test/helpers/api-server.ts';
import { runTideInProcess } from '../../../test/helpers/run-cli.ts';
import { listRuns } from '../../run/run.repo.ts';

let server: ApiServer;
beforeAll(async () => {
  server = await startApiServer({
    extraConfigFiles: {
      'jobs/backup.json': {
        type: 'command',
        command: 'true',
        schedule: ['0 3 * * *', '@deployment'],
        workspace: 'web',
        enabled: true,
        description: 'Nightly backup',
      },
      'jobs/adhoc.json': { type: 'script', script: 'echo hi', enabled: false },
    },
  });
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const tide = (...args: string[]) => runTideInProcess(args, { env: server.env });

describe('tide job (a client of a live API)', () => {
  it('lists jobs as a table with their triggers', async () => {
    const result = await tide('job', 'list');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+TYPE\s+ENABLED\s+TRIGGERS\s+DEPENDS ON\s+LAST RUN$/);
    expect(lines[1]).toMatch(/^adhoc\s+script\s+no\s+manual only\s+-\s+-$/);
    expect(lines[2]).toMatch(/^backup\s+command\s+yes\s+0 3 \* \* \*, @deployment\s+-\s+-$/);
  });

  it('shows one job as fields, or as JSON', async () => {
    const result = await tide('job', 'show', 'backup');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Workspace: +web\n/);
    expect(result.stdout).toMatch(/Description: +Nightly backup\n/);
    const json = JSON.parse((await tide('job', 'show', 'backup', '--json')).stdout);
    expect(json).toMatchObject({ id: 'backup', workspace: 'web', events: ['@deployment'] });
  });

  it('fails with one line and exit 3 for an unknown job', async () => {
    const result = await tide('job', 'show', 'web.nope');
    expect(result.stderr).toBe('tide: job web.nope does not exist\n');
    expect(result.status).toBe(3);
  });

  it('runs a job and prints the run id', async () => {
    const result = await tide('job', 'run', 'adhoc');
    expect(result.status).toBe(0);
    const { items } = await listRuns(server.fixture.db);
    expect(items[0]).toMatchObject({ job: 'adhoc', action: 'job', trigger: 'manual', state: 'queued' });
    expect(result.stdout).toBe(`Queued job adhoc: run ${items[0]!.id}\n`);
  });

  it('--wait streams the log and exits 1 with the reason when the job fails; logs prints it again', async () => {
    const stop = fakeExecutor(server.fixture, {
      state: 'failed',
      reason: 'job exited with code 3',
      logLine: 'backup target unreachable',
    });
    try {
      const result = await tide('job', 'run', 'backup', '--wait');
      expect(result.stdout).toContain('backup target unreachable\n');
      expect(result.stderr).toMatch(/^tide: run [\w-]+ failed: job exited with code 3\n$/);
      expect(result.status).toBe(1);
      const logs = await tide('job', 'logs', 'backup');
      expect(logs.stdout).toContain('backup target unreachable\n');
      expect(logs.status).toBe(0);
    } finally {
      stop();
    }
  });

  it('says so when a job has no runs yet', async () => {
    const result = await tide('job', 'logs', 'adhoc');
    expect(result.stderr).toBe('tide: job "adhoc" has no runs yet\n');
    expect(result.status).toBe(3);
  });
});
