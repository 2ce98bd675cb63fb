import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeExecutor, startApiServer, type ApiServer } from '../../../test/helpers/api-server.ts';
import { runTideInProcess } from '../../../test/helpers/run-cli.ts';
import { listRuns } from '../../run/run.repo.ts';
import { applyTtlEffect } from '../../workspace/ttl.repo.ts';
import { upsertWorkspaceStatus } from '../../workspace/workspace-status.repo.ts';

let server: ApiServer;
beforeAll(async () => {
  server = await startApiServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const tide = (...args: string[]) => runTideInProcess(args, { env: server.env });

describe('tide workspace (a client of a live API)', () => {
  it('lists workspaces as an aligned table', async () => {
    const result = await tide('workspace', 'list');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^NAME\s+ENABLED\s+STATUS\s+MODE\s+DRIFT\s+NEXT\s+CURRENT RUN\s+LAST RUN\s+NOTES$/,
    );
    expect(lines.slice(1).map((line) => line.split(/\s+/)[0])).toEqual(['broken', 'idle', 'vault', 'web']);
    const statusColumn = lines[0]!.indexOf('STATUS');
    for (const line of lines.slice(1)) expect(line.slice(statusColumn)).toMatch(/^destroyed /);
    expect(lines[1]).toMatch(/config error$/);
    // Local time, then relative to the CLI's (real) clock: `Mon 08:00 (in 2h)` or `2027-03-15 08:00 (in 113d 3h)`.
    expect(lines[4]).toMatch(/ deploy (\w{3}|\d{4}-\d\d-\d\d) \d\d:\d\d \((in .+|.+ ago)\) /);
  });

  it('prints the API representation with --json', async () => {
    const result = await tide('workspace', 'list', '--json');
    const items = JSON.parse(result.stdout) as { name: string; enabled: boolean }[];
    expect(items.map((ws) => [ws.name, ws.enabled])).toEqual([
      ['broken', false],
      ['idle', false],
      ['vault', true],
      ['web', true],
    ]);
    const show = JSON.parse((await tide('workspace', 'show', 'web', '--json')).stdout);
    expect(show).toMatchObject({ name: 'web', modes: ['large', 'small'], timezone: 'Europe/Paris' });
  });

  it('shows one workspace as fields and its next firings', async () => {
    const result = await tide('workspace', 'show', 'web');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Description:  Web tier\n');
    expect(result.stdout).toContain('Modes:        large, small\n');
    expect(result.stdout).toMatch(/Next firings\n {2}WHEN\s+ACTION\s+MODE\s+SCHEDULE\n/);
  });

  it('marks a drifted workspace in the list (--drifted keeps only those) and details its drift in show', async () => {
    await upsertWorkspaceStatus(
      server.fixture.db,
      'web',
      {
        status: 'deployed',
        drifted: true,
        drift_checked_at: '2027-03-15T06:00:00.000Z',
        drift_since: '2027-03-15T05:00:00.000Z',
        drift_run_id: 'run-42',
        drift_summary: { add: 0, change: 1, destroy: 0 },
        drift_addresses: ['terraform_data.watched', 'terraform_data.other'],
      },
      server.fixture.clock.now(),
    );
    const list = (await tide('workspace', 'list', '--drifted')).stdout.trimEnd().split('\n');
    expect(list).toHaveLength(2);
    const driftColumn = list[0]!.indexOf('DRIFT');
    expect(list[1]!.slice(driftColumn)).toMatch(/^drifted /);
    const show = (await tide('workspace', 'show', 'web')).stdout;
    expect(show).toMatch(
      /Drift: +drifted since .+: 0 to add, 1 to change, 0 to destroy \(checked .+, run run-42\)\n/,
    );
    expect(show).toContain('terraform_data.watched, terraform_data.other\n');
  });

  it('shows when the running TTL destroys the workspace', async () => {
    const { db, clock } = server.fixture;
    const destroyAt = new Date(clock.now().getTime() + 4 * 3_600_000);
    await applyTtlEffect(db, { id: 'run-7', workspace: 'web' }, { kind: 'set', destroyAt }, clock.now());
    expect((await tide('workspace', 'show', 'web')).stdout).toMatch(/TTL: +destroy .+ \d\d:\d\d \(.+\)\n/);
  });

  it('fails with one line and exit 3 for an unknown workspace', async () => {
    const result = await tide('workspace', 'show', 'nope');
    expect(result.stderr).toBe('tide: workspace "nope" does not exist\n');
    expect(result.status).toBe(3);
  });

  it('queues a deploy and prints the run id', async () => {
    const result = await tide('workspace', 'deploy', 'web', '--mode', 'large');
    expect(result.status).toBe(0);
    const { items } = await listRuns(server.fixture.db);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ workspace: 'web', action: 'deploy', mode: 'large', state: 'queued' });
    expect(result.stdout).toBe(`Queued deploy (mode large) of web: run ${items[0]!.id}\n`);
  });

  it('passes --ttl with the deploy, and exits 2 naming the field when it is over TIDE_TTL_MAX', async () => {
    expect((await tide('workspace', 'deploy', 'web', '--ttl', '4h')).status).toBe(0);
    const { items } = await listRuns(server.fixture.db);
    expect(items[0]).toMatchObject({ action: 'deploy', ttl_seconds: 4 * 3600 });
    const tooLong = await tide('workspace', 'deploy', 'web', '--ttl', '30d');
    expect(tooLong.stderr).toContain('body.ttl: must be more than 0 and at most 7d (TIDE_TTL_MAX)');
    expect(tooLong.status).toBe(2);
  });

  it('exits 2 naming the known modes when the mode is unknown', async () => {
    const result = await tide('workspace', 'deploy', 'web', '--mode', 'huge');
    expect(result.stderr).toBe('tide: workspace "web" has no mode "huge"; known modes: large, small\n');
    expect(result.status).toBe(2);
  });

  it('--wait streams the log and exits 0 when a fake executor makes the run succeed', async () => {
    const stop = fakeExecutor(server.fixture, {
      state: 'succeeded',
      logLine: 'Apply complete! Resources: 1 added.',
    });
    try {
      const result = await tide('workspace', 'deploy', 'web', '--wait');
      expect(result.stdout).toMatch(
        /^Queued deploy of web: run run-\d+\nApply complete! Resources: 1 added.\n$/,
      );
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    } finally {
      stop();
    }
  });

  it('--wait exits 1 with the reason when a fake executor makes the run fail', async () => {
    const stop = fakeExecutor(server.fixture, {
      state: 'failed',
      reason: 'tofu apply exited with code 1',
      logLine: 'Error: creating instance',
    });
    try {
      const result = await tide('workspace', 'plan', 'web', '--wait');
      expect(result.stdout).toContain('Error: creating instance\n');
      expect(result.stderr).toMatch(/^tide: run run-\d+ failed: tofu apply exited with code 1\n$/);
      expect(result.status).toBe(1);
    } finally {
      stop();
    }
  });

  it('refuses to destroy without --yes when stdin is not a terminal, creating no run', async () => {
    const result = await tide('workspace', 'destroy', 'web');
    expect(result.stderr).toBe(
      'tide: refusing to destroy web without confirmation: stdin is not a terminal; use --yes\n',
    );
    expect(result.status).toBe(2);
    expect((await listRuns(server.fixture.db)).items).toEqual([]);
  });

  it('passes the server’s refusal to destroy a protected workspace through, with exit 4', async () => {
    const result = await tide('workspace', 'destroy', 'vault', '--yes');
    expect(result.stderr).toMatch(/^tide: workspace "vault" is protected/);
    expect(result.status).toBe(4);
  });

  it('disables and enables a workspace', async () => {
    expect((await tide('workspace', 'disable', 'web')).stdout).toBe('web is disabled\n');
    expect((await tide('workspace', 'enable', 'web')).stdout).toBe('web is enabled\n');
  });

  it('prints the log of the workspace’s latest run', async () => {
    const stop = fakeExecutor(server.fixture, { state: 'succeeded', logLine: 'Plan: 0 to add' });
    try {
      await tide('workspace', 'plan', 'web', '--wait');
    } finally {
      stop();
    }
    const result = await tide('workspace', 'logs', 'web');
    expect(result.stdout).toBe('Plan: 0 to add\n');
    const none = await tide('workspace', 'logs', 'vault');
    expect(none.stderr).toBe('tide: workspace "vault" has no runs yet\n');
    expect(none.status).toBe(3);
  });

  it('says Tide is not reachable, with exit 5, when nothing listens at the URL', async () => {
    const result = await runTideInProcess(['workspace', 'list'], {
      env: { TIDE_URL: 'http://127.0.0.1:9' },
    });
    expect(result.stderr).toBe(
      'tide: Tide is not reachable at http://127.0.0.1:9 (is `tide serve` running?)\n',
    );
    expect(result.status).toBe(5);
  });

  it('takes --url over TIDE_URL', async () => {
    const result = await runTideInProcess(['workspace', 'list', '--json', '--url', server.url], {
      env: { ...server.env, TIDE_URL: 'http://127.0.0.1:9' },
    });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toHaveLength(4);
  });
});
