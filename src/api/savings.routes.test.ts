import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { apiFixture, loadEffectiveConfig, type ApiFixture } from '../../test/helpers/api-fixture.ts';
import { createTestAccessToken } from '../../test/helpers/auth-fixture.ts';
import { makeConfigDir, workspaceFiles } from '../../test/helpers/config-dir.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { finishRun } from '../run/run-outcome.repo.ts';
import { claimNextQueued, insertRun } from '../run/run.repo.ts';
import { ManualClock } from '../time/clock.ts';

forEachDialect('savings route', (harness) => {
  const configDir = makeConfigDir({
    ...workspaceFiles('web', { enabled: true, hourly_cost: 0.5 }),
    ...workspaceFiles('db', { enabled: true, hourly_cost: 2 }),
  });
  let config: EffectiveConfig;
  let f: ApiFixture;
  beforeAll(async () => {
    config = await loadEffectiveConfig(configDir.dir);
  });
  afterAll(() => configDir.cleanup());

  async function ran(workspace: string, action: 'deploy' | 'destroy', iso: string): Promise<void> {
    const clock = new ManualClock(iso);
    const run = await insertRun(harness.db, {
      id: `${workspace}-${action}-${iso}`,
      workspace,
      action,
      trigger: 'schedule',
      created_at: clock.now(),
    });
    await claimNextQueued(harness.db, { owner: 'test', leaseMs: 60_000, clock });
    await finishRun(harness.db, run.id, 'succeeded', clock.now(), {}, () => null);
  }

  beforeEach(async () => {
    f = apiFixture(harness.db, config);
    f.clock.set('2027-03-10T00:00:00Z');
    // web: down Mon 19:00 → Tue 07:00 (12 h); db: down from Tue 00:00 to the end of the period.
    await ran('web', 'deploy', '2027-03-01T07:00:00Z');
    await ran('web', 'destroy', '2027-03-01T19:00:00Z');
    await ran('web', 'deploy', '2027-03-02T07:00:00Z');
    await ran('db', 'deploy', '2027-03-01T00:00:00Z');
    await ran('db', 'destroy', '2027-03-02T00:00:00Z');
  });

  it('answers the savings per workspace and in total, per bucket', async () => {
    const response = await f.app.inject({
      url: '/api/v1/savings?since=2027-03-01T00:00:00Z&until=2027-03-03T00:00:00Z&bucket=day',
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.workspaces.map((w: { workspace: string; saved: number }) => [w.workspace, w.saved])).toEqual([
      ['db', 48],
      ['web', 6],
    ]);
    expect(body.total).toEqual({
      down_hours: 36,
      saved: 54,
      buckets: [
        { start: '2027-03-01T00:00:00.000Z', end: '2027-03-02T00:00:00.000Z', down_hours: 5, saved: 2.5 },
        { start: '2027-03-02T00:00:00.000Z', end: '2027-03-03T00:00:00.000Z', down_hours: 31, saved: 51.5 },
      ],
    });
    expect(body.excluded).toEqual([]);
  });

  it('counts only the workspaces of a scoped token, and refuses a workspace outside it', async () => {
    const token = await createTestAccessToken(harness.db, f.auth, {
      username: 'web-viewer',
      role: 'viewer',
      workspaces: ['web'],
    });
    const authorization = `Bearer ${token}`;
    const scoped = await f.app.inject({
      url: '/api/v1/savings?since=2027-03-01T00:00:00Z&until=2027-03-03T00:00:00Z',
      headers: { authorization },
    });
    expect(scoped.statusCode).toBe(200);
    expect(scoped.json().workspaces.map((w: { workspace: string }) => w.workspace)).toEqual(['web']);
    expect(scoped.json().total.saved).toBe(6);
    const outside = await f.app.inject({ url: '/api/v1/savings?workspace=db', headers: { authorization } });
    expect(outside.statusCode).toBe(403);
    expect((await f.anonymous('/api/v1/savings')).statusCode).toBe(401);
  });

  it('refuses a bad bucket, instant or period with a 400 naming what is wrong', async () => {
    const bucket = await f.app.inject({ url: '/api/v1/savings?bucket=year' });
    expect(bucket.statusCode).toBe(400);
    expect(bucket.json().error.message).toContain('query.bucket');
    const since = await f.app.inject({ url: '/api/v1/savings?since=yesterday' });
    expect(since.statusCode).toBe(400);
    expect(since.json().error.message).toContain('query.since');
    const period = await f.app.inject({
      url: '/api/v1/savings?since=2027-03-05T00:00:00Z&until=2027-03-04T00:00:00Z',
    });
    expect(period.statusCode).toBe(400);
    expect(period.json().error.code).toBe('validation_failed');
    const unknown = await f.app.inject({ url: '/api/v1/savings?workspace=nope' });
    expect(unknown.statusCode).toBe(404);
  });
});
