import { beforeEach, describe, expect, it } from 'vitest';
import { FIXTURE_NOW, forEachApiDialect, type ApiFixture } from '../../test/helpers/api-fixture.ts';
import { finishRun } from '../run/run-outcome.repo.ts';
import { claimNextQueued, updateRunState } from '../run/run.repo.ts';
import { recordFiring } from '../schedule/firing.repo.ts';
import { ttlPolicy } from '../workspace/ttl-policy.ts';
import { upsertWorkspaceStatus } from '../workspace/workspace-status.repo.ts';

forEachApiDialect('workspace routes', (fixture) => {
  let f: ApiFixture;
  beforeEach(() => {
    f = fixture();
  });
  const get = (url: string) => f.app.inject({ url });
  const post = (url: string, payload?: object) => f.app.inject({ method: 'POST', url, payload });

  describe('GET /api/v1/workspaces', () => {
    it('lists every configured workspace by name, including one whose files never validated', async () => {
      const response = await get('/api/v1/workspaces');
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body.items.map((ws: { name: string }) => ws.name)).toEqual(['broken', 'idle', 'vault', 'web']);
      expect(body.next_cursor).toBeNull();
      const broken = body.items[0];
      expect(broken.config_error).toMatch(/deploy_schedule: invalid cron expression "0 9 \* \* 8"/);
      expect(broken).toMatchObject({ enabled: false, status: 'destroyed', next_firings: [] });
    });

    it('filters by observed status and by effective enabled', async () => {
      await upsertWorkspaceStatus(f.db, 'vault', { status: 'deployed' }, f.clock.now());
      const deployed = (await get('/api/v1/workspaces?status=deployed')).json();
      expect(deployed.items.map((ws: { name: string }) => ws.name)).toEqual(['vault']);
      const disabled = (await get('/api/v1/workspaces?enabled=false')).json();
      expect(disabled.items.map((ws: { name: string }) => ws.name)).toEqual(['broken', 'idle']);
    });

    it('filters on drift and shows what the last drift check found', async () => {
      await upsertWorkspaceStatus(
        f.db,
        'vault',
        {
          status: 'deployed',
          drifted: true,
          drift_checked_at: '2027-03-15T06:00:00.000Z',
          drift_since: '2027-03-15T05:00:00.000Z',
          drift_run_id: 'run-42',
          drift_summary: { add: 0, change: 1, destroy: 0 },
          drift_addresses: ['terraform_data.watched'],
        },
        f.clock.now(),
      );
      const drifted = (await get('/api/v1/workspaces?drifted=true')).json();
      expect(drifted.items).toHaveLength(1);
      expect(drifted.items[0]).toMatchObject({
        name: 'vault',
        drifted: true,
        drift: {
          checked_at: '2027-03-15T06:00:00.000Z',
          since: '2027-03-15T05:00:00.000Z',
          run_id: 'run-42',
          summary: { add: 0, change: 1, destroy: 0 },
          addresses: ['terraform_data.watched'],
        },
      });
      const clean = (await get('/api/v1/workspaces?drifted=false')).json();
      expect(clean.items.map((ws: { name: string }) => ws.name)).toEqual(['broken', 'idle', 'web']);
      expect(clean.items[2]).toMatchObject({ drifted: false, drift: null });
    });

    it('pages with limit and an opaque cursor', async () => {
      const first = (await get('/api/v1/workspaces?limit=3')).json();
      expect(first.items).toHaveLength(3);
      expect(first.next_cursor).toEqual(expect.any(String));
      const second = (await get(`/api/v1/workspaces?limit=3&cursor=${first.next_cursor}`)).json();
      expect(second.items.map((ws: { name: string }) => ws.name)).toEqual(['web']);
      expect(second.next_cursor).toBeNull();
    });

    it('rejects a bad cursor, a limit out of range, an unknown filter and a wrong filter value', async () => {
      for (const query of [
        'cursor=bm9wZQ',
        'limit=0',
        'limit=501',
        'limit=ten',
        'colour=red',
        'enabled=yes',
      ]) {
        const response = await get(`/api/v1/workspaces?${query}`);
        expect(response.statusCode, query).toBe(400);
        expect(['invalid_argument', 'validation_failed'], query).toContain(response.json().error.code);
      }
      const unknown = (await get('/api/v1/workspaces?colour=red')).json();
      expect(unknown.error.details.problems).toEqual([
        { path: 'query.colour', message: 'unknown key "colour"' },
      ]);
    });
  });

  describe('GET /api/v1/workspaces/{name}', () => {
    it('merges config, observed status, next firings and runs into one representation', async () => {
      await upsertWorkspaceStatus(
        f.db,
        'web',
        { status: 'deployed', mode: 'large', drifted: true },
        f.clock.now(),
      );
      const response = await get('/api/v1/workspaces/web');
      expect(response.statusCode).toBe(200);
      const web = response.json();
      expect(web).toMatchObject({
        name: 'web',
        enabled: true,
        status: 'deployed',
        mode: 'large',
        drifted: true,
        description: 'Web tier',
        timezone: 'Europe/Paris',
        template: null,
        labels: { team: 'shop' },
        modes: ['large', 'small'],
        current_run: null,
        last_run: null,
        config_error: null,
      });
      // 08:00 and 19:00 in Paris (CET, UTC+1) on Monday 15 March 2027.
      expect(web.next_firings).toHaveLength(5);
      expect(web.next_firings[0]).toEqual({
        action: 'deploy',
        scheduled_at: '2027-03-15T07:00:00.000Z',
        schedule_key: 'deploy_schedule:0 8 * * 1-5',
      });
      expect(web.next_firings[1]).toMatchObject({
        action: 'destroy',
        scheduled_at: '2027-03-15T18:00:00.000Z',
      });
    });

    it('shows the active run as current_run and the latest finished one as last_run', async () => {
      const done = await f.runs.enqueue({ workspace: 'web', action: 'plan', trigger: 'api' });
      await updateRunState(f.db, done.id, 'canceled', f.clock.now());
      f.clock.advance(1000);
      const queued = await f.runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
      const web = (await get('/api/v1/workspaces/web')).json();
      expect(web.current_run).toMatchObject({ id: queued.id, state: 'queued' });
      expect(web.last_run).toMatchObject({ id: done.id, state: 'canceled' });
      expect(web.current_run).not.toHaveProperty('lease_owner');
    });

    it('shows the running TTL: set by a deploy with a ttl, postponed by keep_up_until, gone after a destroy', async () => {
      // The worker's part without an engine: claim the queued run and record its success with the TTL rule.
      const succeed = async (action: 'deploy' | 'destroy', body?: object) => {
        const queued = await post(`/api/v1/workspaces/web/${action}`, body);
        expect(queued.statusCode).toBe(202);
        await claimNextQueued(f.db, { owner: 'test', leaseMs: 60_000, clock: f.clock });
        const policy = ttlPolicy(() => f.config);
        await finishRun(f.db, queued.json().id, 'succeeded', f.clock.now(), {}, () => null, {
          ttlOf: (run) => policy(run, f.clock.now()),
        });
      };
      // 06:00 UTC on a Monday: before web's 08:00 Paris deploy, so a manual deploy gets a TTL.
      await succeed('deploy', { ttl: '4h' });
      const ttl = {
        destroy_at: '2027-03-15T10:00:00.000Z',
        ends_at: '2027-03-15T10:00:00.000Z',
        extended_until: null,
        run_id: expect.any(String),
        set_at: FIXTURE_NOW,
      };
      expect((await get('/api/v1/workspaces/web')).json().ttl).toEqual(ttl);
      const list = (await get('/api/v1/workspaces')).json().items;
      expect(list.find((w: { name: string }) => w.name === 'web').ttl).toEqual(ttl);
      expect(list.find((w: { name: string }) => w.name !== 'web').ttl).toBeNull();

      const extend = { kind: 'keep_up_until', until: '2027-03-15T11:00:00Z' };
      expect((await post('/api/v1/workspaces/web/overrides', extend)).statusCode).toBe(201);
      expect((await get('/api/v1/workspaces/web')).json().ttl).toMatchObject({
        destroy_at: '2027-03-15T11:00:00.000Z',
        ends_at: '2027-03-15T10:00:00.000Z',
        extended_until: '2027-03-15T11:00:00.000Z',
      });

      await succeed('destroy');
      expect((await get('/api/v1/workspaces/web')).json().ttl).toBeNull();
    });

    it('answers 404 for an unknown workspace and 400 for a name that is not a name', async () => {
      const unknown = await get('/api/v1/workspaces/nope');
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toEqual({
        error: {
          code: 'not_found',
          message: 'workspace "nope" does not exist',
          details: { workspace: 'nope' },
        },
      });
      for (const bad of ['..%2f', '..%2F..%2Fetc', 'Web', '-web', 'a'.repeat(64), '%00']) {
        const response = await get(`/api/v1/workspaces/${bad}`);
        expect(response.statusCode, bad).toBe(400);
        expect(response.json().error.code, bad).toBe('validation_failed');
      }
    });
  });

  describe('POST /api/v1/workspaces/{name}/deploy|destroy|plan', () => {
    it('answers 202 with the queued run, which then is the current run', async () => {
      const response = await post('/api/v1/workspaces/web/deploy', { mode: 'large' });
      expect(response.statusCode).toBe(202);
      const run = response.json();
      expect(run).toMatchObject({
        workspace: 'web',
        action: 'deploy',
        mode: 'large',
        state: 'queued',
        trigger: 'api',
        created_at: '2027-03-15T06:00:00.000Z',
      });
      expect((await get('/api/v1/workspaces/web')).json().current_run.id).toBe(run.id);
    });

    it('takes no body, an empty body or {} for destroy and plan', async () => {
      expect((await post('/api/v1/workspaces/web/plan')).statusCode).toBe(202);
      expect((await post('/api/v1/workspaces/web/plan', {})).statusCode).toBe(202);
      const destroy = await post('/api/v1/workspaces/web/destroy');
      expect(destroy.statusCode).toBe(202);
      expect(destroy.json()).toMatchObject({ action: 'destroy', mode: null });
    });

    it('queues a deploy with its own ttl, and refuses a ttl over TIDE_TTL_MAX (400 names the field)', async () => {
      const queued = await post('/api/v1/workspaces/web/deploy', { ttl: '4h' });
      expect(queued.statusCode).toBe(202);
      expect((await f.runs.get(queued.json().id)).ttl_seconds).toBe(4 * 3600);
      const tooLong = await post('/api/v1/workspaces/web/deploy', { ttl: '8d' });
      expect(tooLong.statusCode).toBe(400);
      expect(tooLong.json().error).toMatchObject({
        code: 'validation_failed',
        details: {
          problems: [{ path: 'body.ttl', message: 'must be more than 0 and at most 7d (TIDE_TTL_MAX)' }],
        },
      });
      const notADuration = await post('/api/v1/workspaces/web/deploy', { ttl: 'soon' });
      expect(notADuration.statusCode).toBe(400);
      expect(notADuration.json().error.details.problems[0].path).toBe('body.ttl');
    });

    it('refuses a mode the workspace does not know, naming the known ones', async () => {
      const response = await post('/api/v1/workspaces/web/deploy', { mode: 'huge' });
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatchObject({
        code: 'invalid_argument',
        message: 'workspace "web" has no mode "huge"; known modes: large, small',
        details: { known_modes: ['large', 'small'] },
      });
    });

    it('refuses unknown fields and wrong types in the body', async () => {
      const unknown = await post('/api/v1/workspaces/web/deploy', { mode: 'large', force: true });
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json().error.details.problems).toEqual([
        { path: 'body.force', message: 'unknown key "force"' },
      ]);
      const wrongType = await post('/api/v1/workspaces/web/deploy', { mode: 3 });
      expect(wrongType.statusCode).toBe(400);
      expect(wrongType.json().error).toMatchObject({
        code: 'validation_failed',
        details: { problems: [{ path: 'body.mode', message: 'expected string, got number' }] },
      });
      expect((await post('/api/v1/workspaces/web/plan', { mode: 'large' })).statusCode).toBe(400);
    });

    it('refuses to destroy a protected workspace with 409 conflict', async () => {
      const response = await post('/api/v1/workspaces/vault/destroy');
      expect(response.statusCode).toBe(409);
      expect(response.json().error).toMatchObject({ code: 'conflict', details: { protect: true } });
      expect((await get('/api/v1/runs')).json().items).toEqual([]);
    });

    it('refuses to act on a workspace whose config never validated with 409 config_invalid', async () => {
      const response = await post('/api/v1/workspaces/broken/deploy');
      expect(response.statusCode).toBe(409);
      expect(response.json().error.code).toBe('config_invalid');
      expect(response.json().error.message).toMatch(/^workspace "broken" has no valid configuration yet: /);
    });

    it('answers 404 for an unknown workspace and 400 for a bad name, creating no run', async () => {
      expect((await post('/api/v1/workspaces/nope/deploy')).statusCode).toBe(404);
      expect((await post('/api/v1/workspaces/..%2fweb/deploy')).statusCode).toBe(400);
      expect((await get('/api/v1/runs')).json().items).toEqual([]);
    });
  });

  describe('POST /api/v1/workspaces/{name}/enable|disable', () => {
    it('sets the override, which wins over the config and empties next_firings while disabled', async () => {
      const disabled = await post('/api/v1/workspaces/web/disable');
      expect(disabled.statusCode).toBe(200);
      expect(disabled.json()).toMatchObject({ name: 'web', enabled: false, next_firings: [] });
      const idle = (await post('/api/v1/workspaces/idle/enable')).json();
      expect(idle.enabled).toBe(true);
      expect(idle.next_firings[0]).toMatchObject({
        action: 'deploy',
        scheduled_at: '2027-03-15T09:00:00.000Z',
      });
      const enabled = (await get('/api/v1/workspaces?enabled=true')).json();
      expect(enabled.items.map((ws: { name: string }) => ws.name)).toEqual(['idle', 'vault']);
    });

    it('announces the change on the event hub', async () => {
      const events: unknown[] = [];
      f.hub.on('workspace.status', (event) => events.push(event));
      await post('/api/v1/workspaces/web/disable');
      expect(events).toEqual([{ workspace: 'web', status: 'destroyed', mode: null }]);
    });
  });

  describe('GET /api/v1/workspaces/{name}/schedule', () => {
    it('returns the preview computed by the scheduler’s code, from now by default', async () => {
      const response = await get('/api/v1/workspaces/web/schedule?days=1');
      expect(response.statusCode).toBe(200);
      const preview = response.json();
      expect(preview).toMatchObject({
        workspace: 'web',
        timezone: 'Europe/Paris',
        from: '2027-03-15T06:00:00.000Z',
        until: '2027-03-16T06:00:00.000Z',
      });
      expect(preview.firings.map((firing: { local_time: string }) => firing.local_time)).toEqual([
        '2027-03-15 08:00:00 CET',
        '2027-03-15 19:00:00 CET',
      ]);
      expect(preview.timeline.map((segment: { state: string }) => segment.state)).toEqual([
        'down',
        'up',
        'down',
      ]);
    });

    it('takes from= as an ISO instant and rejects what is not one', async () => {
      const preview = (await get('/api/v1/workspaces/web/schedule?from=2027-03-20T00:00:00Z&days=2')).json();
      expect(preview.firings).toEqual([]);
      expect(preview.until).toBe('2027-03-22T00:00:00.000Z');
      expect((await get('/api/v1/workspaces/web/schedule?from=tomorrow')).statusCode).toBe(400);
      expect((await get('/api/v1/workspaces/web/schedule?days=0')).statusCode).toBe(400);
      expect((await get('/api/v1/workspaces/broken/schedule')).statusCode).toBe(409);
    });
  });

  describe('GET /api/v1/workspaces/{name}/firings', () => {
    it('pages through the ledger, newest scheduled time first', async () => {
      for (const at of ['2027-03-12T07:00:00.000Z', '2027-03-13T08:00:00.000Z', '2027-03-14T09:00:00.000Z']) {
        await recordFiring(f.db, {
          workspace: 'web',
          schedule_key: 'deploy_schedule:0 8 * * 1-5',
          action: 'deploy',
          scheduled_at: at,
          outcome: 'skipped',
          reason: 'disabled',
          recorded_at: f.clock.now(),
        });
      }
      const first = (await get('/api/v1/workspaces/web/firings?limit=2')).json();
      expect(first.items.map((firing: { scheduled_at: string }) => firing.scheduled_at)).toEqual([
        '2027-03-14T09:00:00.000Z',
        '2027-03-13T08:00:00.000Z',
      ]);
      expect(first.items[0]).toMatchObject({
        workspace: 'web',
        outcome: 'skipped',
        reason: 'disabled',
        run_id: null,
      });
      const second = (await get(`/api/v1/workspaces/web/firings?limit=2&cursor=${first.next_cursor}`)).json();
      expect(second).toMatchObject({
        items: [{ scheduled_at: '2027-03-12T07:00:00.000Z' }],
        next_cursor: null,
      });
    });

    it('answers 404 for an unknown workspace', async () => {
      expect((await get('/api/v1/workspaces/nope/firings')).statusCode).toBe(404);
    });
  });
});
