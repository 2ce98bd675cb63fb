import { beforeEach, describe, expect, it } from 'vitest';
import { apiFixture, forEachApiDialect, type ApiFixture } from '../../test/helpers/api-fixture.ts';
import { EXPENSIVE_READ_RATE_LIMIT } from '../http/rate-limit.plugin.ts';
import { DatabaseRateLimiter } from '../http/rate-limiter.ts';
import { appendLogChunk } from '../run/run-log.repo.ts';
import { updateRunState } from '../run/run.repo.ts';
import type { Run } from '../run/run.ts';

forEachApiDialect('run routes', (fixture, harness) => {
  let f: ApiFixture;
  beforeEach(() => {
    f = fixture();
  });
  const get = (url: string) => f.app.inject({ url });
  const ids = (body: { items: { id: string }[] }) => body.items.map((run) => run.id);

  /** Three runs a second apart: run-0001 web deploy (succeeded), run-0002 vault plan (queued, schedule), run-0003 web destroy (queued). */
  async function threeRuns(): Promise<Run[]> {
    const first = await f.runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
    await updateRunState(f.db, first.id, 'running', f.clock.now(), {
      lease: { owner: 'test', leaseMs: 60_000 },
    });
    await updateRunState(f.db, first.id, 'succeeded', f.clock.now(), { exit_code: 0 });
    f.clock.advance(1000);
    const second = await f.runs.enqueue({ workspace: 'vault', action: 'plan', trigger: 'schedule' });
    f.clock.advance(1000);
    const third = await f.runs.enqueue({ workspace: 'web', action: 'destroy', trigger: 'manual' });
    return [first, second, third];
  }

  describe('GET /api/v1/runs', () => {
    it('lists runs newest first and filters by workspace, state (one or a list) and trigger', async () => {
      await threeRuns();
      expect(ids((await get('/api/v1/runs')).json())).toEqual(['run-0003', 'run-0002', 'run-0001']);
      expect(ids((await get('/api/v1/runs?workspace=web')).json())).toEqual(['run-0003', 'run-0001']);
      expect(ids((await get('/api/v1/runs?state=succeeded')).json())).toEqual(['run-0001']);
      expect(ids((await get('/api/v1/runs?state=queued,succeeded&workspace=web')).json())).toEqual([
        'run-0003',
        'run-0001',
      ]);
      expect(ids((await get('/api/v1/runs?trigger=schedule')).json())).toEqual(['run-0002']);
    });

    it('pages with limit and cursor', async () => {
      await threeRuns();
      const first = (await get('/api/v1/runs?limit=2')).json();
      expect(ids(first)).toEqual(['run-0003', 'run-0002']);
      const second = (await get(`/api/v1/runs?limit=2&cursor=${first.next_cursor}`)).json();
      expect(second).toMatchObject({ items: [{ id: 'run-0001' }], next_cursor: null });
    });

    it('rejects an unknown state, trigger or parameter, a bad workspace name and a bad cursor', async () => {
      for (const query of ['state=done', 'trigger=cron', 'sort=asc', 'workspace=..%2f', 'cursor=%7B%7D']) {
        const response = await get(`/api/v1/runs?${query}`);
        expect(response.statusCode, query).toBe(400);
      }
    });

    it('refuses a page above the largest and more states than there are, naming the bound', async () => {
      const problems = async (query: string) => {
        const response = await get(`/api/v1/runs?${query}`);
        expect(response.statusCode, query).toBe(400);
        return response.json().error.details.problems;
      };
      expect(await problems('limit=501')).toEqual([
        { path: 'query.limit', message: 'want a whole number from 1 to 500, got "501"' },
      ]);
      expect(await problems(`state=${Array(8).fill('queued').join(',')}`)).toEqual([
        { path: 'query.state', message: 'want at most 7 states, one of each' },
      ]);
    });
  });

  describe('GET /api/v1/runs/{id}', () => {
    it('returns the run without queue internals', async () => {
      const [done] = await threeRuns();
      const response = await get(`/api/v1/runs/${done!.id}`);
      expect(response.statusCode).toBe(200);
      const run = response.json();
      expect(run).toMatchObject({
        id: 'run-0001',
        workspace: 'web',
        action: 'deploy',
        state: 'succeeded',
        trigger: 'api',
        attempt: 1,
        exit_code: 0,
        created_at: '2027-03-15T06:00:00.000Z',
        started_at: '2027-03-15T06:00:00.000Z',
        finished_at: '2027-03-15T06:00:00.000Z',
        plan_summary: null,
        outputs: null,
        reason: null,
      });
      for (const internal of ['lock_key', 'priority', 'lease_owner', 'lease_expires_at', 'fencing_token'])
        expect(run).not.toHaveProperty(internal);
    });

    it('answers 404 for an unknown run and 400 for an id that cannot be one', async () => {
      const unknown = await get('/api/v1/runs/nope');
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().error).toMatchObject({ code: 'not_found', message: 'run nope does not exist' });
      expect((await get('/api/v1/runs/a%27%20or%201=1')).statusCode).toBe(400);
    });
  });

  describe('POST /api/v1/runs/{id}/cancel', () => {
    it('answers 202 with a queued run canceled at once', async () => {
      const [, queued] = await threeRuns();
      const response = await f.app.inject({ method: 'POST', url: `/api/v1/runs/${queued!.id}/cancel` });
      expect(response.statusCode).toBe(202);
      expect(response.json()).toMatchObject({
        id: queued!.id,
        state: 'canceled',
        reason: 'canceled by fixture-admin',
      });
    });

    it('answers 202 with a running run marked as asked to stop', async () => {
      const run = await f.runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
      await updateRunState(f.db, run.id, 'running', f.clock.now(), {
        lease: { owner: 'test', leaseMs: 60_000 },
      });
      const response = await f.app.inject({ method: 'POST', url: `/api/v1/runs/${run.id}/cancel` });
      expect(response.statusCode).toBe(202);
      expect(response.json()).toMatchObject({
        state: 'running',
        cancel_requested_at: '2027-03-15T06:00:00.000Z',
      });
    });

    it('answers 409 for a finished run and 404 for an unknown one', async () => {
      const [done] = await threeRuns();
      const finished = await f.app.inject({ method: 'POST', url: `/api/v1/runs/${done!.id}/cancel` });
      expect(finished.statusCode).toBe(409);
      expect(finished.json().error.code).toBe('conflict');
      expect((await f.app.inject({ method: 'POST', url: '/api/v1/runs/nope/cancel' })).statusCode).toBe(404);
    });
  });

  describe('GET /api/v1/runs/{id}/logs', () => {
    async function runWithLog(lines: number): Promise<Run> {
      const run = await f.runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
      for (let line = 1; line <= lines; line++)
        await appendLogChunk(f.db, run.id, {
          stream: 'stdout',
          content: `line ${line}`,
          created_at: f.clock.now(),
        });
      return run;
    }

    it('returns stored chunks as a page of {seq, stream, created_at, content}', async () => {
      const run = await runWithLog(3);
      const first = (await get(`/api/v1/runs/${run.id}/logs?limit=2`)).json();
      expect(first.items).toEqual([
        { seq: 1, stream: 'stdout', created_at: '2027-03-15T06:00:00.000Z', content: 'line 1' },
        { seq: 2, stream: 'stdout', created_at: '2027-03-15T06:00:00.000Z', content: 'line 2' },
      ]);
      const second = (await get(`/api/v1/runs/${run.id}/logs?limit=2&cursor=${first.next_cursor}`)).json();
      expect(second).toMatchObject({ items: [{ seq: 3 }], next_cursor: null });
    });

    it('refuses a cursor taken from another run', async () => {
      const run = await runWithLog(2);
      const other = await runWithLog(0);
      const { next_cursor } = (await get(`/api/v1/runs/${run.id}/logs?limit=1`)).json();
      const response = await get(`/api/v1/runs/${other.id}/logs?cursor=${next_cursor}`);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('invalid_argument');
    });

    it('prints the stored log as text or ndjson without following', async () => {
      const run = await runWithLog(2);
      const text = await get(`/api/v1/runs/${run.id}/logs?format=text`);
      expect(text.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(text.body).toBe('line 1\nline 2\n');
      const ndjson = await get(`/api/v1/runs/${run.id}/logs?format=ndjson`);
      expect(ndjson.headers['content-type']).toBe('application/x-ndjson');
      expect(
        ndjson.body
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line).seq),
      ).toEqual([1, 2]);
    });

    it('limits log reads per principal, as an expensive read', async () => {
      const limited = apiFixture(harness.db, f.config, { rateLimiter: new DatabaseRateLimiter(harness.db) });
      const run = await limited.runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
      const read = () => limited.app.inject({ url: `/api/v1/runs/${run.id}/logs?format=text` });
      for (let i = 0; i < EXPENSIVE_READ_RATE_LIMIT.limit; i++) expect((await read()).statusCode).toBe(200);
      const refused = await read();
      expect(refused.statusCode).toBe(429);
      expect(refused.json().error.code).toBe('rate_limited');
      expect((await limited.app.inject({ url: `/api/v1/runs/${run.id}` })).statusCode).toBe(200);
    });

    it('rejects follow with format=json and answers 404 for an unknown run', async () => {
      const run = await runWithLog(0);
      expect((await get(`/api/v1/runs/${run.id}/logs?follow=true&format=json`)).statusCode).toBe(400);
      expect((await get('/api/v1/runs/nope/logs?follow=true')).statusCode).toBe(404);
    });
  });
});
