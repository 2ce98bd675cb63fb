import { describe, expect, it } from 'vitest';
import {
  activeKeepUpUntil,
  toOverrideView,
  adjustDesiredState,
  handbackAction,
  nextOverrideEnd,
  overrideReason,
  skippingOverride,
  withOverrides,
  type Override,
} from './override.ts';

const t = (hhmm: string) => new Date(`2027-06-01T${hhmm}:00Z`);

function override(
  id: string,
  kind: Override['kind'],
  endsAt: string,
  extra: Partial<Override> = {},
): Override {
  return {
    id,
    workspace: 'web',
    kind,
    action: null,
    ends_at: t(endsAt),
    reason: null,
    actor: 'alice',
    created_at: t('06:00'),
    removed_at: null,
    consumed_at: null,
    ...extra,
  };
}

const firing = (action: string, hhmm: string, key = `${action}_schedule`) => ({
  action,
  scheduled_at: t(hhmm),
  schedule_key: key,
});

describe('overrides (pure effects)', () => {
  it('keep_up_until skips destroys, keep_down_until deploys, pause everything, skip_next its action', () => {
    const up = override('up', 'keep_up_until', '21:00');
    const down = override('down', 'keep_down_until', '21:00');
    const pause = override('pause', 'pause_until', '21:00');
    const skip = override('skip', 'skip_next', '21:00', { action: 'deploy' });
    expect(skippingOverride(firing('destroy', '19:00'), [up])).toBe(up);
    expect(skippingOverride(firing('deploy', '19:00'), [up])).toBeUndefined();
    expect(skippingOverride(firing('deploy', '19:00'), [down])).toBe(down);
    expect(skippingOverride(firing('job', '19:00'), [pause])).toBe(pause);
    expect(skippingOverride(firing('deploy', '19:00'), [skip])).toBe(skip);
    expect(skippingOverride(firing('destroy', '19:00'), [skip])).toBeUndefined();
  });

  it('lets a keep or pause skip a firing before a skip_next, so the skip_next is not used up', () => {
    const skip = override('skip', 'skip_next', '23:00', { action: 'destroy' });
    const up = override('up', 'keep_up_until', '21:00');
    expect(skippingOverride(firing('destroy', '19:00'), [skip, up])).toBe(up);
  });

  it('ignores overrides ended, removed or consumed by the firing instant', () => {
    const ended = override('ended', 'keep_up_until', '18:00');
    const removed = override('removed', 'keep_up_until', '21:00', { removed_at: t('18:00') });
    const consumed = override('used', 'skip_next', '21:00', { action: 'destroy', consumed_at: t('18:00') });
    expect(skippingOverride(firing('destroy', '19:00'), [ended, removed, consumed])).toBeUndefined();
  });

  it('names the override in the ledger reason', () => {
    expect(overrideReason(override('abc', 'skip_next', '21:00', { action: 'destroy' }))).toBe(
      'override abc: skip_next destroy until 2027-06-01T21:00:00.000Z',
    );
  });

  it('gives the latest keep_up_until end in force (a TTL extension)', () => {
    const overrides = [
      override('a', 'keep_up_until', '20:00'),
      override('b', 'keep_up_until', '22:00'),
      override('c', 'keep_down_until', '23:00'),
      override('d', 'keep_up_until', '23:30', { removed_at: t('07:00') }),
    ];
    expect(activeKeepUpUntil(overrides, t('19:00'))).toEqual(t('22:00'));
    expect(activeKeepUpUntil(overrides, t('22:00'))).toBeUndefined();
  });

  it('wakes the scheduler at the next keep or pause end, not at a skip_next end', () => {
    expect(
      nextOverrideEnd(
        [override('a', 'pause_until', '20:00'), override('b', 'keep_up_until', '22:00')],
        t('19:00'),
      ),
    ).toEqual(t('20:00'));
    const overrides = [
      override('s', 'skip_next', '20:00', { action: 'deploy' }),
      override('u', 'keep_up_until', '21:00'),
    ];
    expect(nextOverrideEnd(overrides, t('19:00'))).toEqual(t('21:00'));
    expect(nextOverrideEnd(overrides, t('21:00'))).toBeNull();
  });

  describe('desired state adjusted', () => {
    const down = { state: 'down' as const, reason: 'outside uptime[0]', since: t('19:00') };
    const up = { state: 'up' as const, mode: 'small', reason: 'inside uptime[0]', since: t('08:00') };

    it('is up while a keep_up_until is in force, and down from its end when it ended in the period', () => {
      const keep = override('k', 'keep_up_until', '21:00');
      expect(adjustDesiredState(down, [keep], t('20:00'))).toEqual({
        desired: { state: 'up', reason: overrideReason(keep), since: t('06:00') },
      });
      expect(adjustDesiredState(down, [keep], t('21:00'))).toEqual({
        desired: {
          ...down,
          reason: 'outside uptime[0]; override k (keep_up_until) ended at 2027-06-01T21:00:00.000Z',
          since: t('21:00'),
        },
      });
    });

    it('keeps the scheduled mode under keep_up_until, is down under keep_down_until, and paused under pause', () => {
      expect(adjustDesiredState(up, [override('k', 'keep_up_until', '21:00')], t('10:00'))).toMatchObject({
        desired: { state: 'up', mode: 'small' },
      });
      expect(adjustDesiredState(up, [override('d', 'keep_down_until', '21:00')], t('10:00'))).toMatchObject({
        desired: { state: 'down' },
      });
      const pause = override('p', 'pause_until', '21:00');
      expect(adjustDesiredState(up, [pause], t('10:00'))).toEqual({ paused: pause });
    });

    it('lets the most recently added keep decide, and counts the period from the latest ended one', () => {
      const older = override('old', 'keep_down_until', '20:00');
      const newer = override('new', 'keep_up_until', '21:00', { created_at: t('07:00') });
      expect(adjustDesiredState(down, [older, newer], t('19:30'))).toMatchObject({
        desired: { state: 'up' },
      });
      expect(adjustDesiredState(down, [newer, older], t('22:00'))).toMatchObject({
        desired: { since: t('21:00') },
      });
      const earlier = override('earlier', 'keep_up_until', '20:00');
      expect(adjustDesiredState(down, [earlier, newer], t('22:00'))).toMatchObject({
        desired: { reason: expect.stringContaining('override new (keep_up_until)'), since: t('21:00') },
      });
    });

    it('leaves a period whose edge a skip_next skipped alone until the skip_next ends', () => {
      const used = override('s', 'skip_next', '23:00', { action: 'destroy', consumed_at: t('19:00') });
      expect(adjustDesiredState(down, [used], t('20:00'))).toMatchObject({ desired: { state: 'none' } });
      expect(adjustDesiredState(down, [used], t('23:00'))).toEqual({ desired: down });
      const usedDeploy = override('d', 'skip_next', '23:00', { action: 'deploy', consumed_at: t('08:00') });
      expect(adjustDesiredState(up, [usedDeploy], t('09:00'))).toMatchObject({ desired: { state: 'none' } });
    });
  });

  it('hands back the deploy/destroy the ended override skipped, and nothing else', () => {
    const keep = override('k', 'keep_up_until', '21:00');
    const skipped = { action: 'destroy', mode: null, reason: overrideReason(keep) };
    expect(handbackAction(keep, skipped)).toMatchObject({ action: 'destroy', mode: null });
    expect(handbackAction(keep, { ...skipped, reason: 'already in desired state' })).toBeNull();
    expect(handbackAction(keep, null)).toBeNull();
    expect(handbackAction(keep, { ...skipped, reason: null })).toBeNull();
    expect(handbackAction(keep, { ...skipped, action: 'plan' })).toBeNull();
    expect(handbackAction({ ...keep, removed_at: t('20:00') }, skipped)).toBeNull();
    expect(handbackAction(override('s', 'skip_next', '21:00', { action: 'destroy' }), skipped)).toBeNull();
  });

  it('shows upcoming firings as overrides leave them: skipped ones marked, one skip_next, hand-backs added', () => {
    const keep = override('k', 'keep_up_until', '21:00');
    const skip = override('s', 'skip_next', '23:59', { action: 'deploy' });
    const result = withOverrides(
      [
        firing('deploy', '07:00'),
        firing('destroy', '19:00'),
        firing('deploy', '22:00'),
        firing('deploy', '23:00'),
      ],
      [keep, skip],
      t('06:30'),
    );
    expect(
      result.map((r) => [
        r.firing.action,
        r.firing.scheduled_at.toISOString().slice(11, 16),
        r.firing.schedule_key,
        r.skippedBy?.id ?? r.handback?.id ?? null,
      ]),
    ).toEqual([
      ['deploy', '07:00', 'deploy_schedule', 's'],
      ['destroy', '19:00', 'destroy_schedule', 'k'],
      ['destroy', '21:00', 'override:k', 'k'],
      ['deploy', '22:00', 'deploy_schedule', null],
      ['deploy', '23:00', 'deploy_schedule', null],
    ]);
  });

  it('shows an override as active, expired, removed or consumed', () => {
    const keep = override('k', 'keep_up_until', '21:00');
    expect(toOverrideView(keep, t('20:00')).state).toBe('active');
    expect(toOverrideView(keep, t('21:00')).state).toBe('expired');
    expect(toOverrideView({ ...keep, removed_at: t('20:00') }, t('20:30'))).toMatchObject({
      state: 'removed',
      removed_at: t('20:00').toISOString(),
    });
    expect(toOverrideView({ ...keep, consumed_at: t('19:00') }, t('20:00')).state).toBe('consumed');
  });
});
