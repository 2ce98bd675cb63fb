import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, loadEffectiveConfig, type ApiFixture } from '../../../test/helpers/api-fixture.ts';
import { makeConfigDir, workspaceFiles } from '../../../test/helpers/config-dir.ts';
import { runTideInProcess } from '../../../test/helpers/run-cli.ts';
import { finishRun } from '../../run/run-outcome.repo.ts';
import { claimNextQueued, insertRun } from '../../run/run.repo.ts';
import { openDatabase, type Store } from '../../store/database.ts';
import { migrateToLatest } from '../../store/migrate.ts';
import { ManualClock } from '../../time/clock.ts';

let configDir: ReturnType<typeof makeConfigDir>;
let dataDir: string;
let configHome: string;
let store: Store;
let fixture: ApiFixture;
let env: Record<string, string>;

async function ran(workspace: string, action: 'deploy' | 'destroy', iso: string): Promise<void> {
  const clock = new ManualClock(iso);
  const run = await insertRun(store.db, {
    id: `${workspace}-${action}-${iso}`,
    workspace,
    action,
    trigger: 'schedule',
    created_at: clock.now(),
  });
  await claimNextQueued(store.db, { owner: 'test', leaseMs: 60_000, clock });
  await finishRun(store.db, run.id, 'succeeded', clock.now(), {}, () => null);
}

beforeAll(async () => {
  configDir = makeConfigDir({
    ...workspaceFiles('web', { enabled: true, hourly_cost: 0.5 }),
    ...workspaceFiles('free', { enabled: true }),
  });
  dataDir = await mkdtemp(path.join(tmpdir(), 'tide-savings-cli-'));
  configHome = await mkdtemp(path.join(tmpdir(), 'tide-savings-cli-config-'));
  store = await openDatabase({ dataDir });
  await migrateToLatest(store);
  fixture = apiFixture(store.db, await loadEffectiveConfig(configDir.dir));
  fixture.clock.set('2027-03-10T00:00:00Z');
  // Down Mon 2027-03-01 19:00 → Tue 07:00: 5 h on the 1st, 7 h on the 2nd.
  await ran('web', 'deploy', '2027-03-01T07:00:00Z');
  await ran('web', 'destroy', '2027-03-01T19:00:00Z');
  await ran('web', 'deploy', '2027-03-02T07:00:00Z');
  const url = await fixture.app.listen({ host: '127.0.0.1', port: 0 });
  env = { TIDE_URL: url, TIDE_TOKEN: await fixture.adminToken(), XDG_CONFIG_HOME: configHome };
});

afterAll(async () => {
  await fixture.app.close();
  await store.close();
  configDir.cleanup();
  await rm(dataDir, { recursive: true, force: true });
  await rm(configHome, { recursive: true, force: true });
});

const tide = (...args: string[]) => runTideInProcess(args, { env });
const period = ['--since', '2027-03-01T00:00:00Z', '--until', '2027-03-03T00:00:00Z'];

describe('tide savings (a client of a live API)', () => {
  it('prints the savings per workspace, the total, each bucket and the excluded workspaces', async () => {
    const result = await tide('savings', ...period);
    expect(result.status).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('savings from 2027-03-01T00:00:00.000Z to 2027-03-03T00:00:00.000Z, per day (UTC)');
    expect(lines[1]).toMatch(/^WORKSPACE\s+HOURLY COST\s+DOWN HOURS\s+SAVED$/);
    expect(lines[2]!.split(/\s+/)).toEqual(['web', '0.5', '12', '6']);
    expect(lines[3]!.split(/\s+/)).toEqual(['TOTAL', '12', '6']);
    expect(lines.slice(5).map((line) => line.split(/\s+/))).toEqual([
      ['DAY', 'DOWN', 'HOURS', 'SAVED'],
      ['2027-03-01', '5', '2.5'],
      ['2027-03-02', '7', '3.5'],
      ['excluded', '(no', 'hourly_cost):', 'free'],
    ]);
  });

  it('prints JSON with --json and passes --bucket and --workspace on', async () => {
    const result = await tide('savings', ...period, '--bucket', 'month', '--workspace', 'web', '--json');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.bucket).toBe('month');
    expect(report.total.buckets).toEqual([
      { start: '2027-03-01T00:00:00.000Z', end: '2027-04-01T00:00:00.000Z', down_hours: 12, saved: 6 },
    ]);
  });

  it('fails with the API error for a bad bucket', async () => {
    const result = await tide('savings', '--bucket', 'year');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('query.bucket');
  });
});
