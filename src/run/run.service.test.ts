import { expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { EventHub } from '../events/event-hub.ts';
import type { Db } from '../store/schema.ts';
import { ManualClock } from '../time/clock.ts';
import { appendLogChunk } from './run-log.repo.ts';
import { claimNextQueued, updateRunState } from './run.repo.ts';
import { RunService } from './run.service.ts';
import type { Run } from './run.ts';

function service(db: Db) {
  const clock = new ManualClock('2027-06-01T07:00:00Z');
  const hub = new EventHub();
  const announced: Run[] = [];
  hub.on('run.updated', (run) => announced.push(run));
  let ids = 0;
  const runs = new RunService({ db, hub, clock, newId: () => `run-${++ids}` });
  return { runs, clock, announced };
}

async function claim(db: Db, clock: ManualClock): Promise<Run> {
  const claimed = await claimNextQueued(db, { owner: 'runner', leaseMs: 60_000, clock });
  if (!claimed) throw new Error('nothing to claim');
  return claimed;
}

forEachDialect('RunService', (harness) => {
  const db = () => harness.db;

  it('queues a first attempt with no job, mode, actor or config, announces it, and reads it back', async () => {
    const { runs, announced } = service(db());
    const run = await runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
    expect(run).toMatchObject({
      id: 'run-1',
      workspace: 'web',
      job: null,
      mode: null,
      actor: null,
      attempt: 1,
      retry_of: null,
      firing_id: null,
      config_hash: null,
      not_before: null,
      state: 'queued',
      created_at: '2027-06-01T07:00:00.000Z',
    });
    expect(announced).toEqual([run]);
    expect(await runs.get(run.id)).toEqual(run);
  });

  it('cancels a queued run at once, naming who canceled it', async () => {
    const { runs, announced } = service(db());
    const byAlice = await runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
    const byNobody = await runs.enqueue({ workspace: 'db', action: 'deploy', trigger: 'api' });
    expect(await runs.cancel(byAlice.id, 'alice')).toMatchObject({
      state: 'canceled',
      reason: 'canceled by alice',
    });
    expect(await runs.cancel(byNobody.id, null)).toMatchObject({
      state: 'canceled',
      reason: 'canceled by anonymous',
    });
    expect(announced.slice(2).map((run) => [run.id, run.state])).toEqual([
      [byAlice.id, 'canceled'],
      [byNobody.id, 'canceled'],
    ]);
  });

  it('asks the runner of a running run to stop, once, and leaves it running', async () => {
    const { runs, clock, announced } = service(db());
    const queued = await runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
    await claim(db(), clock);
    const asked = await runs.cancel(queued.id, 'alice');
    expect(asked).toMatchObject({ state: 'running', cancel_requested_at: '2027-06-01T07:00:00.000Z' });
    clock.advance(5_000);
    // Asking again changes nothing: the first request's time stands.
    const again = await runs.cancel(queued.id, 'bob');
    expect(again).toMatchObject({ state: 'running', cancel_requested_at: '2027-06-01T07:00:00.000Z' });
    expect(announced.at(-1)).toEqual(again);
  });

  it('refuses to cancel a finished run, and names its state', async () => {
    const { runs, clock } = service(db());
    const queued = await runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
    await claim(db(), clock);
    await updateRunState(db(), queued.id, 'succeeded', clock.now(), { exit_code: 0 });
    await expect(runs.cancel(queued.id, 'alice')).rejects.toMatchObject({
      code: 'conflict',
      details: { state: 'succeeded' },
    });
  });

  it('reports a run that does not exist as not found, or as null when asked to find it', async () => {
    const { runs } = service(db());
    await expect(runs.cancel('missing', 'alice')).rejects.toMatchObject({ code: 'not_found' });
    await expect(runs.get('missing')).rejects.toMatchObject({
      code: 'not_found',
      details: { run_id: 'missing' },
    });
    expect(await runs.find('missing')).toBeNull();
  });

  it('lists runs newest first, and reads log chunks after a sequence number', async () => {
    const { runs, clock } = service(db());
    const older = await runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
    clock.advance(1_000);
    const newer = await runs.enqueue({ workspace: 'web', action: 'destroy', trigger: 'api' });
    expect((await runs.list({ limit: 10 })).items.map((run) => run.id)).toEqual([newer.id, older.id]);
    for (const content of ['init', 'plan']) {
      await appendLogChunk(db(), older.id, { stream: 'stdout', content, created_at: clock.now() });
    }
    expect((await runs.logChunks(older.id, { afterSeq: 1 })).map((chunk) => chunk.content)).toEqual(['plan']);
  });

  it("pages through a run's log, and refuses a cursor from another run", async () => {
    const { runs, clock } = service(db());
    const run = await runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
    const other = await runs.enqueue({ workspace: 'db', action: 'deploy', trigger: 'api' });
    for (const content of ['init', 'plan', 'apply']) {
      await appendLogChunk(db(), run.id, { stream: 'stdout', content, created_at: clock.now() });
    }
    const first = await runs.logPage(run.id, 2, undefined);
    expect(first.items.map((chunk) => chunk.content)).toEqual(['init', 'plan']);
    const second = await runs.logPage(run.id, 2, first.next_cursor!);
    expect(second).toMatchObject({
      items: [expect.objectContaining({ content: 'apply' })],
      next_cursor: null,
    });
    await expect(runs.logPage(other.id, 2, first.next_cursor!)).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });
});
