import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiFixture, loadEffectiveConfig, type ApiFixture } from '../../test/helpers/api-fixture.ts';
import { createTestAccessToken } from '../../test/helpers/auth-fixture.ts';
import { makeConfigDir, workspaceFiles } from '../../test/helpers/config-dir.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { chainOf } from '../run/job-chain.repo.ts';

const configDir = makeConfigDir({
  ...workspaceFiles('web', {
    enabled: true,
    jobs: [
      { name: 'migrate', type: 'command', command: 'true', schedule: '@deployment', enabled: true },
      {
        name: 'warm',
        type: 'script',
        script: 'echo warm',
        schedule: ['@deployment', '0 6 * * *'],
        depends_on: ['migrate'],
        enabled: true,
        timeout: '2m',
        retries: 2,
      },
      { name: 'report', type: 'command', command: 'true', depends_on: ['warm'], enabled: false },
    ],
  }),
  'jobs/cleanup.json': { type: 'command', command: ['true'], schedule: '0 3 * * *', enabled: true },
});

describe('job routes', () => {
  let config: EffectiveConfig;
  beforeAll(async () => {
    config = await loadEffectiveConfig(configDir.dir);
  });
  afterAll(() => configDir.cleanup());

  forEachDialect('job routes', (harness) => {
    let f: ApiFixture;
    beforeEach(() => {
      f = apiFixture(harness.db, config);
    });
    const get = (url: string, headers: Record<string, string> = {}) => f.app.inject({ url, headers });
    const post = (url: string, headers: Record<string, string> = {}) =>
      f.app.inject({ method: 'POST', url, payload: {}, headers });

    it('lists workspace jobs as <workspace>.<job> and standalone jobs by name, with their triggers', async () => {
      const response = await get('/api/v1/jobs');
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body.next_cursor).toBeNull();
      expect(body.items.map((job: { id: string }) => job.id)).toEqual([
        'cleanup',
        'web.migrate',
        'web.report',
        'web.warm',
      ]);
      expect(body.items[3]).toMatchObject({
        name: 'warm',
        workspace: 'web',
        standalone: false,
        type: 'script',
        enabled: true,
        schedules: ['0 6 * * *'],
        events: ['@deployment'],
        depends_on: ['migrate'],
        timeout_seconds: 120,
        retries: 2,
        last_run: null,
      });
      expect(body.items[0]).toMatchObject({ workspace: null, standalone: true, schedules: ['0 3 * * *'] });
    });

    it('runs a job by hand with the enabled jobs that depend on it, as one chain (202 with the run)', async () => {
      const response = await post('/api/v1/jobs/web.migrate/run');
      expect(response.statusCode).toBe(202);
      const run = response.json();
      expect(run).toMatchObject({
        workspace: 'web',
        job: 'migrate',
        action: 'job',
        trigger: 'manual',
        state: 'queued',
      });
      const all = await f.runs.list({ workspace: 'web' });
      // warm depends on migrate; report is disabled.
      expect(all.items.map((each) => each.job).sort()).toEqual(['migrate', 'warm']);
      const warm = all.items.find((each) => each.job === 'warm')!;
      expect(await chainOf(f.db, warm.id)).toMatchObject({ trigger: 'manual', waitingOn: ['migrate'] });
      const shown = (await get('/api/v1/jobs/web.migrate')).json();
      expect(shown.last_run).toMatchObject({ id: run.id, state: 'queued' });
      const audit = (await get('/api/v1/audit?action=job.run')).json();
      expect(audit.items[0]).toMatchObject({
        action: 'job.run',
        target: 'job:web.migrate',
        result: 'success',
      });
    });

    it('describes the job routes in the OpenAPI document', async () => {
      const doc = (await get('/api/v1/openapi.json')).json();
      expect(Object.keys(doc.paths['/api/v1/jobs'])).toEqual(['get']);
      expect(Object.keys(doc.paths['/api/v1/jobs/{id}'])).toEqual(['get']);
      expect(doc.paths['/api/v1/jobs/{id}/run'].post.parameters).toEqual([
        expect.objectContaining({ name: 'id', in: 'path', required: true }),
      ]);
    });

    it('runs a standalone job by its name', async () => {
      const response = await post('/api/v1/jobs/cleanup/run');
      expect(response.statusCode).toBe(202);
      expect(response.json()).toMatchObject({ workspace: '_standalone_', job: 'cleanup', trigger: 'manual' });
    });

    it('answers 404 for an unknown job and 400 for a malformed id', async () => {
      const missing = await get('/api/v1/jobs/web.nope');
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error.code).toBe('not_found');
      expect((await post('/api/v1/jobs/nope/run')).statusCode).toBe(404);
      const bad = await get('/api/v1/jobs/a.b.c');
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.details.problems[0].message).toMatch(/invalid job id "a.b.c"/);
    });

    it("hides jobs outside the caller's workspaces, refuses to show or run them, and refuses a viewer's run", async () => {
      const scoped = await createTestAccessToken(f.db, f.auth, {
        username: 'sam',
        role: 'operator',
        workspaces: ['shop-*'],
      });
      const headers = { authorization: `Bearer ${scoped}` };
      expect((await get('/api/v1/jobs', headers)).json().items).toEqual([]);
      expect((await get('/api/v1/jobs/web.warm', headers)).statusCode).toBe(403);
      expect((await post('/api/v1/jobs/web.warm/run', headers)).statusCode).toBe(403);
      const viewer = await createTestAccessToken(f.db, f.auth, { username: 'vic', role: 'viewer' });
      const asViewer = { authorization: `Bearer ${viewer}` };
      expect((await get('/api/v1/jobs/web.warm', asViewer)).statusCode).toBe(200);
      expect((await post('/api/v1/jobs/web.warm/run', asViewer)).statusCode).toBe(403);
      expect((await f.runs.list({})).items).toEqual([]);
    });
  });
});
