import { describe, expect, it } from 'vitest';
import { createLogger } from '../log/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { sampleValue } from '../observability/test-scrape.ts';
import { periodic, type Subsystem } from './subsystem.ts';
import { Supervisor } from './supervisor.ts';
import { nextHealth, TestTimers } from './test-supervision.ts';
import { aborted } from './timers.ts';

const logger = createLogger('silent');

/** A subsystem that fails its first `failures` starts, then runs until stopped; it records its starts. */
function flaky(name: string, failures: number): Subsystem & { starts: number } {
  const subsystem = {
    name,
    starts: 0,
    async start(signal: AbortSignal, up: () => void): Promise<void> {
      subsystem.starts++;
      if (subsystem.starts <= failures) throw new Error(`${name} failure ${subsystem.starts}`);
      up();
      await aborted(signal);
    },
  };
  return subsystem;
}

function supervisorWith(options: { maxBackoffMs?: number } = {}) {
  const timers = new TestTimers();
  const metrics = createMetrics();
  const supervisor = new Supervisor({ logger, timers, metrics, ...options });
  const scrape = async (name: string, subsystem: string) =>
    sampleValue(await metrics.registry.metrics(), name, { subsystem });
  return { timers, supervisor, scrape };
}

describe('the supervisor', () => {
  it('restarts a failing subsystem after a backoff that doubles up to the maximum, then resets it once up', async () => {
    const { timers, supervisor } = supervisorWith({ maxBackoffMs: 5_000 });
    const loop = flaky('loop', 4);
    supervisor.add(loop);
    await supervisor.start();
    const delays: number[] = [];
    for (let failure = 1; failure <= 4; failure++) {
      await timers.armed();
      delays.push(...timers.fire());
    }
    await nextHealth(supervisor, 'loop', 'up');
    expect(delays).toEqual([1_000, 2_000, 4_000, 5_000]);
    expect(loop.starts).toBe(5);
    expect(supervisor.health()).toEqual([
      { name: 'loop', state: 'up', restarts: 4, error: null, retryInMs: null },
    ]);
    await supervisor.stop();
  });

  it('shows a failed subsystem as restarting, with its error, in its health and its metrics until it is up', async () => {
    const { timers, supervisor, scrape } = supervisorWith();
    supervisor.add(flaky('loop', 1));
    expect(await scrape('tide_subsystem_up', 'loop')).toBe(0);
    expect(await scrape('tide_subsystem_restarts_total', 'loop')).toBe(0);
    await supervisor.start();
    expect(supervisor.health()).toEqual([
      { name: 'loop', state: 'restarting', restarts: 0, error: 'loop failure 1', retryInMs: 1_000 },
    ]);
    expect(await scrape('tide_subsystem_up', 'loop')).toBe(0);
    const up = nextHealth(supervisor, 'loop', 'up');
    timers.fire();
    await up;
    expect(await scrape('tide_subsystem_up', 'loop')).toBe(1);
    expect(await scrape('tide_subsystem_restarts_total', 'loop')).toBe(1);
    await supervisor.stop();
    expect(await scrape('tide_subsystem_up', 'loop')).toBe(0);
  });

  it('restarts a subsystem that stops by itself', async () => {
    const { timers, supervisor } = supervisorWith();
    let starts = 0;
    supervisor.add({
      name: 'quitter',
      async start(signal, up) {
        up();
        if (++starts > 1) await aborted(signal);
      },
    });
    await supervisor.start();
    await timers.armed();
    expect(supervisor.health()[0]).toMatchObject({ state: 'restarting', error: 'it stopped by itself' });
    const up = nextHealth(supervisor, 'quitter', 'up');
    timers.fire();
    await up;
    expect(starts).toBe(2);
    await supervisor.stop();
  });

  it('starts subsystems in order, each once the one before is up or has failed', async () => {
    const { supervisor } = supervisorWith();
    const order: string[] = [];
    const recorder = (name: string, fail: boolean): Subsystem => ({
      name,
      async start(signal, up) {
        order.push(`${name} starts`);
        await Promise.resolve();
        if (fail) throw new Error('no');
        order.push(`${name} up`);
        up();
        await aborted(signal);
      },
    });
    supervisor.add(recorder('first', false)).add(recorder('second', true)).add(recorder('third', false));
    await supervisor.start();
    expect(order).toEqual(['first starts', 'first up', 'second starts', 'third starts', 'third up']);
    await supervisor.stop();
  });

  it('stops the subsystems asked for in reverse start order, and restarts none of them', async () => {
    const { timers, supervisor } = supervisorWith();
    const stopped: string[] = [];
    const stoppable = (name: string): Subsystem => ({
      name,
      async start(signal, up) {
        up();
        await aborted(signal);
        stopped.push(name);
      },
    });
    supervisor.add(stoppable('a')).add(stoppable('b')).add(stoppable('c'));
    await supervisor.start();
    await supervisor.stop(['a', 'c']);
    expect(stopped).toEqual(['c', 'a']);
    expect(supervisor.health().map((health) => health.state)).toEqual(['stopped', 'up', 'stopped']);
    await supervisor.stop();
    expect(stopped).toEqual(['c', 'a', 'b']);
    expect(timers.pending).toEqual([]);
  });

  it('runs a periodic tick at once and after every interval, and retries a failed tick after the backoff', async () => {
    const { timers: backoff, supervisor } = supervisorWith();
    const sleeps = new TestTimers();
    const outcomes = ['ok', 'fail', 'ok'];
    const ticks: string[] = [];
    supervisor.add(
      periodic(
        'pruning',
        60_000,
        async () => {
          const outcome = outcomes[ticks.length] ?? 'ok';
          ticks.push(outcome);
          if (outcome === 'fail') throw new Error('store away');
        },
        { timers: sleeps },
      ),
    );
    await supervisor.start();
    expect(ticks).toEqual(['ok']);
    expect(sleeps.pending).toEqual([60_000]);
    const restarting = nextHealth(supervisor, 'pruning', 'restarting');
    sleeps.fire();
    expect(await restarting).toMatchObject({ error: 'store away', retryInMs: 1_000 });
    const up = nextHealth(supervisor, 'pruning', 'up');
    backoff.fire();
    await up;
    expect(ticks).toEqual(['ok', 'fail', 'ok']);
    expect(sleeps.pending).toEqual([60_000]);
    await supervisor.stop();
  });
});
