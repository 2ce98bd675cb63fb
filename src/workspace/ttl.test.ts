import { describe, expect, it } from 'vitest';
import { decideTtl, ttlDestroyAt, ttlEffectOfRun, type TtlObserved, type TtlRunFacts } from './ttl.ts';

const now = new Date('2027-06-01T10:00:00Z');
const run = (fields: Partial<TtlRunFacts> = {}): TtlRunFacts => ({
  action: 'deploy',
  job: null,
  trigger: 'api',
  state: 'succeeded',
  ttl_seconds: null,
  ...fields,
});
const outside = { workspaceTtlMs: 3 * 3_600_000, desiredUp: false, now };

describe('ttlEffectOfRun', () => {
  it('sets the end of a manual deploy outside the up period from its own ttl, else the workspace ttl', () => {
    expect(ttlEffectOfRun(run({ ttl_seconds: 7200 }), outside)).toEqual({
      kind: 'set',
      destroyAt: new Date('2027-06-01T12:00:00Z'),
    });
    expect(ttlEffectOfRun(run({ trigger: 'manual' }), outside)).toEqual({
      kind: 'set',
      destroyAt: new Date('2027-06-01T13:00:00Z'),
    });
  });

  it('clears it for a manual deploy inside the up period, or without any ttl', () => {
    expect(ttlEffectOfRun(run({ ttl_seconds: 7200 }), { ...outside, desiredUp: true })).toEqual({
      kind: 'clear',
    });
    expect(ttlEffectOfRun(run(), { ...outside, workspaceTtlMs: undefined })).toEqual({ kind: 'clear' });
  });

  it('clears it on a destroy that succeeded and on a scheduled or window deploy (the schedule takes over)', () => {
    expect(ttlEffectOfRun(run({ action: 'destroy', trigger: 'manual' }), outside)).toEqual({ kind: 'clear' });
    expect(ttlEffectOfRun(run({ trigger: 'schedule' }), outside)).toEqual({ kind: 'clear' });
    expect(ttlEffectOfRun(run({ trigger: 'window' }), outside)).toEqual({ kind: 'clear' });
  });

  it('leaves it for failed runs, plans, jobs, and dependency or retry deploys', () => {
    expect(ttlEffectOfRun(run({ state: 'failed' }), outside)).toBeNull();
    expect(ttlEffectOfRun(run({ action: 'plan' }), outside)).toBeNull();
    expect(ttlEffectOfRun(run({ action: 'job', job: 'backup' }), outside)).toBeNull();
    expect(ttlEffectOfRun(run({ trigger: 'dependency' }), outside)).toBeNull();
    expect(ttlEffectOfRun(run({ trigger: 'retry' }), outside)).toBeNull();
  });
});

describe('decideTtl', () => {
  const observed: TtlObserved = {
    status: 'deployed',
    activeRunId: null,
    enabled: true,
    protect: false,
    environment: null,
  };
  const end = new Date('2027-06-01T12:00:00Z');

  it('is not due before the end, and fires at it', () => {
    expect(decideTtl({ destroyAt: end, observed, now })).toEqual({ outcome: 'not_due', at: end });
    expect(decideTtl({ destroyAt: end, observed, now: end })).toEqual({ outcome: 'fired', at: end });
  });

  it('is postponed to the end of an active keep_up_until override, never brought forward', () => {
    const keepUpUntil = new Date('2027-06-01T15:00:00Z');
    expect(decideTtl({ destroyAt: end, keepUpUntil, observed, now: end })).toEqual({
      outcome: 'not_due',
      at: keepUpUntil,
    });
    expect(ttlDestroyAt(end, new Date('2027-06-01T11:00:00Z'))).toEqual(end);
  });

  it('waits for the run holding the workspace, and skips when disabled, protected, held or already down', () => {
    expect(
      decideTtl({ destroyAt: end, observed: { ...observed, activeRunId: 'r1' }, now: end }),
    ).toMatchObject({
      outcome: 'wait',
    });
    for (const [change, reason] of [
      [{ enabled: false }, 'disabled'],
      [{ protect: true }, 'workspace is protected (protect: true)'],
      [{ environment: 'environment "prod" points at it' }, 'environment "prod" points at it'],
      [{ status: 'destroyed' }, 'already in desired state'],
    ] as const) {
      expect(decideTtl({ destroyAt: end, observed: { ...observed, ...change }, now: end })).toEqual({
        outcome: 'skipped',
        at: end,
        reason,
      });
    }
  });
});
