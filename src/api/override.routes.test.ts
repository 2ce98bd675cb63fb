import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  apiFixture,
  FIXTURE_NOW,
  loadEffectiveConfig,
  type ApiFixture,
} from '../../test/helpers/api-fixture.ts';
import { makeConfigDir, workspaceFiles } from '../../test/helpers/config-dir.ts';
import { createTestToken, type TestUser } from '../../test/helpers/auth-fixture.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';

const HOUR = 3_600_000;
const at = (ms: number) => new Date(Date.parse(FIXTURE_NOW) + ms).toISOString();

describe('override routes', () => {
  const configDir = makeConfigDir({
    ...workspaceFiles('app', { enabled: true, deploy_schedule: '0 7 * * *', destroy_schedule: '0 19 * * *' }),
  });
  let config: EffectiveConfig;
  beforeAll(async () => {
    config = await loadEffectiveConfig(configDir.dir);
  });
  afterAll(() => configDir.cleanup());

  forEachDialect('override routes', (harness) => {
    let f: ApiFixture;
    beforeEach(() => {
      f = apiFixture(harness.db, config, { overrideMaxMs: 7 * 24 * HOUR });
    });
    const url = '/api/v1/workspaces/app/overrides';
    const add = (payload: object, headers: Record<string, string> = {}) =>
      f.app.inject({ method: 'POST', url, payload, headers });

    it('adds a keep_up_until for 3h, lists it, shows it in the workspace and ends it early with DELETE', async () => {
      const created = await add({ kind: 'keep_up_until', for: '3h', reason: 'demo at 5' });
      expect(created.statusCode, created.body).toBe(201);
      expect(created.json()).toMatchObject({
        kind: 'keep_up_until',
        action: null,
        ends_at: at(3 * HOUR),
        reason: 'demo at 5',
        actor: 'fixture-admin',
        created_at: FIXTURE_NOW,
        state: 'active',
      });
      const id = created.json().id as string;
      expect((await f.app.inject({ url })).json().items.map((o: { id: string }) => o.id)).toEqual([id]);
      const workspace = (await f.app.inject({ url: '/api/v1/workspaces/app' })).json();
      expect(workspace.overrides).toEqual([expect.objectContaining({ id, kind: 'keep_up_until' })]);
      const removed = await f.app.inject({ method: 'DELETE', url: `${url}/${id}` });
      expect(removed.statusCode).toBe(200);
      expect(removed.json()).toMatchObject({ id, state: 'removed', removed_at: FIXTURE_NOW });
      expect((await f.app.inject({ url })).json().items).toEqual([]);
      expect((await f.app.inject({ url: `${url}?history=true` })).json().items).toEqual([
        expect.objectContaining({ id, state: 'removed' }),
      ]);
      expect((await f.app.inject({ method: 'DELETE', url: `${url}/${id}` })).statusCode).toBe(404);
    });

    it('leaves a skipped destroy out of next_firings and lists the destroy at the keep_up_until end', async () => {
      // FIXTURE_NOW is 06:00 UTC: next are deploy 07:00, destroy 19:00.
      expect((await add({ kind: 'keep_up_until', until: at(15 * HOUR) })).statusCode).toBe(201);
      const { next_firings } = (await f.app.inject({ url: '/api/v1/workspaces/app' })).json();
      expect(next_firings.slice(0, 3)).toEqual([
        expect.objectContaining({ action: 'deploy', scheduled_at: at(HOUR) }),
        expect.objectContaining({
          action: 'destroy',
          scheduled_at: at(15 * HOUR),
          schedule_key: expect.stringMatching(/^override:/),
        }),
        expect.objectContaining({ action: 'deploy', scheduled_at: at(25 * HOUR) }),
      ]);
      const schedule = (await f.app.inject({ url: '/api/v1/workspaces/app/schedule?days=1' })).json();
      expect(
        schedule.firings.find((firing: { scheduled_at: string }) => firing.scheduled_at === at(13 * HOUR)),
      ).toMatchObject({
        skipped: 'override',
      });
      expect(schedule.overrides).toEqual([
        expect.objectContaining({ kind: 'keep_up_until', end: at(15 * HOUR) }),
      ]);
    });

    it('skip_next needs an action and defaults its end to TIDE_OVERRIDE_MAX', async () => {
      const missing = await add({ kind: 'skip_next' });
      expect(missing.statusCode).toBe(400);
      expect(missing.json().error.details.problems).toEqual([
        { path: 'body.action', message: expect.any(String) },
      ]);
      const created = await add({ kind: 'skip_next', action: 'destroy' });
      expect(created.json()).toMatchObject({ action: 'destroy', ends_at: at(7 * 24 * HOUR) });
    });

    it('names the field in validation errors: both ends, none, a bad duration, past the maximum, in the past', async () => {
      const problems = async (payload: object) => {
        const response = await add(payload);
        expect(response.statusCode).toBe(400);
        return response.json().error.details.problems.map((p: { path: string }) => p.path);
      };
      expect(await problems({ kind: 'keep_up_until', for: '3h', until: at(HOUR) })).toEqual(['body.until']);
      expect(await problems({ kind: 'pause_until' })).toEqual(['body.until']);
      expect(await problems({ kind: 'keep_up_until', for: 'soon' })).toEqual(['body.for']);
      expect(await problems({ kind: 'keep_up_until', for: '8d' })).toEqual(['body.for']);
      expect(await problems({ kind: 'keep_up_until', until: at(-HOUR) })).toEqual(['body.until']);
      expect(await problems({ kind: 'keep_forever', for: '1h' })).toEqual(['body.kind']);
      expect(await problems({ kind: 'keep_up_until', for: '1h', action: 'deploy' })).toEqual(['body.action']);
    });

    it('audits override.add and override.remove', async () => {
      const id = (await add({ kind: 'pause_until', for: '1h' })).json().id as string;
      await f.app.inject({ method: 'DELETE', url: `${url}/${id}` });
      const { items } = (await f.app.inject({ url: '/api/v1/audit' })).json();
      expect(items.slice(0, 2)).toEqual([
        expect.objectContaining({
          action: 'override.remove',
          target: 'workspace:app',
          result: 'success',
          details: { override_id: id },
        }),
        expect.objectContaining({
          action: 'override.add',
          target: 'workspace:app',
          result: 'success',
          details: { override_id: id, kind: 'pause_until', ends_at: at(HOUR) },
        }),
      ]);
    });

    it('lets a viewer list but not add or remove, and refuses an operator outside its workspaces', async () => {
      const as = async (user: TestUser, method: 'GET' | 'POST') =>
        f.app.inject({
          method,
          url,
          ...(method === 'POST' ? { payload: { kind: 'keep_up_until', for: '1h' } } : {}),
          headers: { authorization: `Bearer ${await createTestToken(harness.db, user)}` },
        });
      const viewer: TestUser = { username: 'vera', role: 'viewer' };
      expect((await as(viewer, 'GET')).statusCode).toBe(200);
      expect((await as(viewer, 'POST')).statusCode).toBe(403);
      expect(
        (await as({ username: 'otto', role: 'operator', workspaces: ['shop-*'] }, 'POST')).statusCode,
      ).toBe(403);
      expect((await as({ username: 'olga', role: 'operator', workspaces: ['app'] }, 'POST')).statusCode).toBe(
        201,
      );
    });

    it('answers 404 for an unknown workspace and an unknown override', async () => {
      expect((await f.app.inject({ url: '/api/v1/workspaces/nope/overrides' })).statusCode).toBe(404);
      expect((await f.app.inject({ method: 'DELETE', url: `${url}/no-such-id` })).statusCode).toBe(404);
    });
  });
});
