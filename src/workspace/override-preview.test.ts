import { describe, expect, it } from 'vitest';
import type { SchedulePreview } from '../schedule/preview.ts';
import { previewWithOverrides } from './override-preview.ts';
import type { Override } from './override.ts';

const t = (hhmm: string, day = '01') => `2027-06-${day}T${hhmm}:00.000Z`;

function override(id: string, kind: Override['kind'], createdAt: string, endsAt: string): Override {
  return {
    id,
    workspace: 'web',
    kind,
    action: null,
    ends_at: new Date(endsAt),
    reason: 'because',
    actor: 'alice',
    created_at: new Date(createdAt),
    removed_at: null,
    consumed_at: null,
  };
}

const firing = (action: 'deploy' | 'destroy', at: string, extra: object = {}) => ({
  schedule_key: `${action}_schedule`,
  action,
  scheduled_at: at,
  local_time: `${at.slice(0, 10)} ${at.slice(11, 19)} UTC`,
  ...extra,
});

const segment = (start: string, end: string, state: 'up' | 'down', mode?: string) => ({
  start,
  end,
  local_start: start,
  local_end: end,
  state,
  ...(mode ? { mode } : {}),
  reason: state === 'up' ? 'deploy_schedule' : 'destroy_schedule',
});

const preview: SchedulePreview = {
  workspace: 'web',
  timezone: 'UTC',
  from: t('00:00'),
  until: t('00:00', '02'),
  firings: [
    firing('deploy', t('07:00')),
    firing('deploy', t('08:00'), { skipped: 'calendar' }),
    firing('destroy', t('19:00')),
  ],
  timeline: [
    segment(t('00:00'), t('07:00'), 'down'),
    segment(t('07:00'), t('19:00'), 'up', 'large'),
    segment(t('19:00'), t('00:00', '02'), 'down'),
  ],
};
const now = new Date(t('00:00'));

describe('schedule preview with overrides', () => {
  it('is the preview unchanged without overrides in force over its range', () => {
    expect(
      previewWithOverrides(
        preview,
        [override('old', 'keep_up_until', t('00:00', '01'), t('00:00', '01'))],
        now,
      ),
    ).toBe(preview);
  });

  it('marks what keep_down_until skips, hands the deploy back at its end, and shows the period down', () => {
    const keep = override('k', 'keep_down_until', t('06:00'), t('10:00'));
    const shown = previewWithOverrides(preview, [keep], now);
    expect(
      shown.firings.map((f) => [
        f.scheduled_at.slice(11, 16),
        f.schedule_key,
        f.skipped ?? null,
        f.override_id ?? null,
      ]),
    ).toEqual([
      ['07:00', 'deploy_schedule', 'override', 'k'],
      ['08:00', 'deploy_schedule', 'calendar', null],
      ['10:00', 'override:k', null, null],
      ['19:00', 'destroy_schedule', null, null],
    ]);
    expect(
      shown.timeline.map((s) => [s.start.slice(11, 16), s.end.slice(11, 16), s.state, s.mode ?? null]),
    ).toEqual([
      ['00:00', '06:00', 'down', null],
      ['06:00', '07:00', 'down', null],
      ['07:00', '10:00', 'down', null],
      ['10:00', '19:00', 'up', 'large'],
      ['19:00', '00:00', 'down', null],
    ]);
    expect(shown.overrides).toEqual([
      expect.objectContaining({
        id: 'k',
        kind: 'keep_down_until',
        start: t('06:00'),
        end: t('10:00'),
        reason: 'because',
      }),
    ]);
  });

  it('keeps the mode of an up period under keep_up_until and drops a hand-back past the range', () => {
    const keep = override('u', 'keep_up_until', t('12:00'), t('03:00', '02'));
    const shown = previewWithOverrides(preview, [keep], now);
    expect(shown.firings.map((f) => f.skipped ?? f.schedule_key)).toEqual([
      'deploy_schedule',
      'calendar',
      'override',
    ]);
    expect(shown.timeline.map((s) => [s.start.slice(11, 16), s.state, s.mode ?? null])).toEqual([
      ['00:00', 'down', null],
      ['07:00', 'up', 'large'],
      ['12:00', 'up', 'large'],
      ['19:00', 'up', null],
    ]);
    expect(shown.overrides![0]).toMatchObject({ start: t('12:00'), end: t('00:00', '02') });
  });

  it('lists a pause without changing the timeline', () => {
    const shown = previewWithOverrides(preview, [override('p', 'pause_until', t('00:00'), t('20:00'))], now);
    expect(shown.timeline).toEqual(preview.timeline);
    expect(shown.firings.filter((f) => f.skipped === 'override')).toHaveLength(2);
  });
});
