import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeExecutor, startApiServer, type ApiServer } from '../../../test/helpers/api-server.ts';
import { runTideInProcess } from '../../../test/helpers/run-cli.ts';
import type { Run } from '../../run/run.ts';

let server: ApiServer;
beforeAll(async () => {
  server = await startApiServer();
});
afterAll(() => server.close());

const tide = (...args: string[]) => runTideInProcess(args, { env: server.env });

describe('tide run (a client of a live API)', () => {
  let finished: Run;
  let queued: Run;
  beforeEach(async () => {
    await server.reset();
    const { fixture } = server;
    const stop = fakeExecutor(fixture, { state: 'succeeded', logLine: 'Apply complete!' });
    const ended = new Promise<void>((resolve) => {
      const onRun = (run: Run): void => {
        if (run.state !== 'succeeded') return;
        fixture.hub.off('run.updated', onRun);
        resolve();
      };
      fixture.hub.on('run.updated', onRun);
    });
    finished = await fixture.runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
    await ended;
    stop();
    fixture.clock.advance(60_000);
    queued = await fixture.runs.enqueue({ workspace: 'vault', action: 'plan', trigger: 'schedule' });
  });

  it('lists runs newest first as an aligned table, and as JSON', async () => {
    const result = await tide('run', 'list');
    expect(result.status).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+WORKSPACE\s+ACTION\s+STATE\s+TRIGGER\s+CREATED\s+DURATION$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/).slice(0, 4))).toEqual([
      [queued.id, 'vault', 'plan', 'queued'],
      [finished.id, 'web', 'deploy', 'succeeded'],
    ]);
    const json = JSON.parse((await tide('run', 'list', '--json')).stdout) as Run[];
    expect(json.map((run) => run.id)).toEqual([queued.id, finished.id]);
  });

  it('filters by workspace, state and trigger, and limits', async () => {
    const ids = async (...args: string[]) =>
      (JSON.parse((await tide('run', 'list', '--json', ...args)).stdout) as Run[]).map((run) => run.id);
    expect(await ids('--workspace', 'web')).toEqual([finished.id]);
    expect(await ids('--state', 'queued,running')).toEqual([queued.id]);
    expect(await ids('--trigger', 'schedule', '--limit', '1')).toEqual([queued.id]);
    const bad = await tide('run', 'list', '--limit', 'lots');
    expect(bad.stderr).toBe('tide: --limit must be a positive whole number, got "lots"\n');
    expect(bad.status).toBe(2);
  });

  it('shows one run as fields, and as JSON', async () => {
    const result = await tide('run', 'show', finished.id);
    expect(result.stdout).toContain(`Run:        ${finished.id}\n`);
    expect(result.stdout).toContain('State:      succeeded\n');
    expect(result.stdout).toContain('Exit code:  0\n');
    expect(JSON.parse((await tide('run', 'show', finished.id, '--json')).stdout)).toMatchObject({
      id: finished.id,
      state: 'succeeded',
    });
    const unknown = await tide('run', 'show', 'nope');
    expect(unknown.stderr).toBe('tide: run nope does not exist\n');
    expect(unknown.status).toBe(3);
  });

  it('prints a run’s log; --follow on a finished run ends after the stored log', async () => {
    expect((await tide('run', 'logs', finished.id)).stdout).toBe('Apply complete!\n');
    const followed = await tide('run', 'logs', finished.id, '--follow');
    expect(followed.stdout).toBe('Apply complete!\n');
    expect(followed.status).toBe(0);
    const ndjson = await tide('run', 'logs', finished.id, '--json');
    expect(JSON.parse(ndjson.stdout)).toMatchObject({ seq: 1, stream: 'stdout', content: 'Apply complete!' });
  });

  it('cancels a queued run, and refuses with exit 4 once it is finished', async () => {
    const result = await tide('run', 'cancel', queued.id);
    expect(result.stdout).toBe(`Run ${queued.id} canceled\n`);
    const again = await tide('run', 'cancel', queued.id);
    expect(again.stderr).toBe(`tide: run ${queued.id} already finished (canceled)\n`);
    expect(again.status).toBe(4);
  });
});
