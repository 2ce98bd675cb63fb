import { expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { EventHub } from '../events/event-hub.ts';
import { reapOrphans } from '../run/orphan-reaper.ts';
import { claimNextQueued, insertRun } from '../run/run.repo.ts';
import { ManualClock } from '../time/clock.ts';
import { findByDedupeKey, pendingCount } from './outbox.repo.ts';
import { notifier } from './notify.ts';
import { announceRunOutcome, configErrorEvent } from './run-notifications.ts';

const t0 = Date.parse('2025-03-03T07:00:00.000Z');
const at = (seconds: number): Date => new Date(t0 + seconds * 1000);

forEachDialect('notifications of run outcomes', (harness) => {
  const clock = new ManualClock(at(10));
  const snapshot = {
    notifications: {
      file: 'notifications.yaml',
      targets: new Map([['ops', { type: 'webhook' as const, url: 'https://hooks.example.com/t' }]]),
      rules: [{ on: ['run_failed'], targets: ['ops'], workspaces: ['web'], actions: ['deploy'] }],
    },
  };
  const notify = notifier(() => ({ snapshot, workspaces: new Map() }), clock);

  async function orphan(id: string, workspace: string): Promise<void> {
    await insertRun(harness.db, { id, workspace, action: 'deploy', trigger: 'schedule', created_at: at(0) });
    await claimNextQueued(harness.db, { owner: 'dead', leaseMs: 1_000, clock: new ManualClock(at(1)) });
  }

  it('enqueues run_failed in the transaction that records an orphaned run as failed', async () => {
    await orphan('r1', 'web');
    await reapOrphans(harness.db, at(10), new EventHub(), undefined, announceRunOutcome(notify, clock));
    const row = await findByDedupeKey(harness.db, 'run_failed:r1:failed:ops');
    expect(row).toMatchObject({ event_type: 'run_failed', workspace: 'web', state: 'pending' });
    expect(JSON.parse(row!.payload)).toMatchObject({ run_id: 'r1', action: 'deploy', reason: 'orphaned' });
  });

  it('leaves no outbox row when the outcome transaction rolls back', async () => {
    await orphan('r1', 'web');
    const failing = async (
      trx: Parameters<typeof notify>[0],
      run: Parameters<ReturnType<typeof announceRunOutcome>>[1],
    ) => {
      await announceRunOutcome(notify, clock)(trx, run);
      throw new Error('the write after the announcement failed');
    };
    await expect(reapOrphans(harness.db, at(10), new EventHub(), undefined, failing)).rejects.toThrow(
      'the write after the announcement failed',
    );
    expect(await pendingCount(harness.db)).toBe(0);
  });

  it('routes by the rule: a workspace the rule does not match gets nothing', async () => {
    await orphan('r2', 'api');
    await reapOrphans(harness.db, at(10), new EventHub(), undefined, announceRunOutcome(notify, clock));
    expect(await pendingCount(harness.db)).toBe(0);
  });
});

it('announces the same config problem under the same id, and a new problem under a new one', () => {
  const unit = { kind: 'workspace', name: 'web', file: 'workspaces/web/config.json' };
  const a = configErrorEvent(unit, ['deploy_schedule: invalid cron'], at(0));
  expect(configErrorEvent(unit, ['deploy_schedule: invalid cron'], at(99)).id).toBe(a.id);
  expect(configErrorEvent(unit, ['timezone: unknown'], at(0)).id).not.toBe(a.id);
});
