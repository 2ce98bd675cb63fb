import { describe, expect, it } from 'vitest';
import type { WorkspaceOverride } from '../../api/types';
import { instantInZone } from '../../lib/time';
import { describeOverride, extendedKeepUp, tonightAt21, untilFromInput } from './override-presets';

const keepUp = (ends_at: string): WorkspaceOverride => ({
  id: 'o1',
  workspace: 'web',
  kind: 'keep_up_until',
  action: null,
  ends_at,
  reason: null,
  actor: 'admin',
  created_at: '2027-03-15T08:00:00Z',
  state: 'active',
  removed_at: null,
  consumed_at: null,
});

describe('override ends in the workspace zone', () => {
  it('reads a wall clock in a zone as its instant, on both sides of a DST change', () => {
    expect(instantInZone('2027-03-15', '21:00', 'Europe/Paris').toISOString()).toBe(
      '2027-03-15T20:00:00.000Z',
    );
    expect(instantInZone('2027-07-15', '21:00', 'Europe/Paris').toISOString()).toBe(
      '2027-07-15T19:00:00.000Z',
    );
    expect(instantInZone('2027-03-28', '12:00', 'Europe/Paris').toISOString()).toBe(
      '2027-03-28T10:00:00.000Z',
    );
    expect(instantInZone('2027-03-15', '21:00', 'America/New_York').toISOString()).toBe(
      '2027-03-16T01:00:00.000Z',
    );
  });

  it('offers 21:00 today in the zone, and tomorrow once it has passed', () => {
    const morning = Date.parse('2027-03-15T10:30:00Z');
    expect(tonightAt21(morning, 'Europe/Paris')).toEqual({
      until: '2027-03-15T20:00:00.000Z',
      tomorrow: false,
    });
    const late = Date.parse('2027-03-15T20:30:00Z');
    expect(tonightAt21(late, 'Europe/Paris')).toEqual({ until: '2027-03-16T20:00:00.000Z', tomorrow: true });
  });

  it('extends a TTL an hour past the latest keep-up in force, or past now without one', () => {
    const now = Date.parse('2027-03-15T10:00:00Z');
    expect(extendedKeepUp(now, [])).toBe('2027-03-15T11:00:00.000Z');
    expect(extendedKeepUp(now, [keepUp('2027-03-15T18:00:00Z'), keepUp('2027-03-15T12:00:00Z')])).toBe(
      '2027-03-15T19:00:00.000Z',
    );
    // A TTL ending after every keep-up: an hour past the TTL's end.
    expect(extendedKeepUp(now, [keepUp('2027-03-15T12:00:00Z')], '2027-03-15T14:00:00.000Z')).toBe(
      '2027-03-15T15:00:00.000Z',
    );
  });

  it('reads a datetime-local input as wall clock in the workspace zone', () => {
    expect(untilFromInput('2027-03-15T21:30', 'Europe/Paris')).toBe('2027-03-15T20:30:00.000Z');
    expect(untilFromInput('', 'Europe/Paris')).toBeNull();
  });

  it('names a skip_next with its action', () => {
    expect(describeOverride({ kind: 'skip_next', action: 'destroy' })).toBe('Skip next destroy');
    expect(describeOverride({ kind: 'pause_until', action: null })).toBe('Pause');
  });
});
