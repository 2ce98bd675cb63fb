import { describe, expect, it } from 'vitest';
import { dueReminders, extendUrl, reminderLeads } from './reminders.ts';

const destroyAt = new Date('2027-06-01T12:00:00Z');
const leadsMs = [2 * 3_600_000, 15 * 60_000];
const at = (iso: string) => new Date(iso);

describe('dueReminders', () => {
  it('says nothing before the first lead and names the instant to wake at', () => {
    expect(dueReminders({ destroyAt, leadsMs, sentLeadsMs: [], now: at('2027-06-01T09:00:00Z') })).toEqual({
      dueLeadsMs: [],
      nextAt: at('2027-06-01T10:00:00Z'),
    });
  });

  it('sends each lead once, at its instant', () => {
    expect(dueReminders({ destroyAt, leadsMs, sentLeadsMs: [], now: at('2027-06-01T10:00:00Z') })).toEqual({
      dueLeadsMs: [7_200_000],
      nextAt: at('2027-06-01T11:45:00Z'),
    });
    expect(
      dueReminders({ destroyAt, leadsMs, sentLeadsMs: [7_200_000], now: at('2027-06-01T10:30:00Z') })
        .dueLeadsMs,
    ).toEqual([]);
    expect(
      dueReminders({ destroyAt, leadsMs, sentLeadsMs: [7_200_000], now: at('2027-06-01T11:45:00Z') }),
    ).toEqual({
      dueLeadsMs: [900_000],
      nextAt: null,
    });
  });

  it('sends only the nearest of several passed leads, and nothing once the destroy instant is reached', () => {
    expect(
      dueReminders({ destroyAt, leadsMs, sentLeadsMs: [], now: at('2027-06-01T11:50:00Z') }).dueLeadsMs,
    ).toEqual([900_000]);
    expect(dueReminders({ destroyAt, leadsMs, sentLeadsMs: [], now: destroyAt })).toEqual({
      dueLeadsMs: [],
      nextAt: null,
    });
  });
});

describe('reminderLeads and extendUrl', () => {
  it("uses a workspace's remind_before over the global leads", () => {
    expect(reminderLeads([{ on: ['reminder'], remindBeforeMs: [1_800_000] }], leadsMs)).toEqual([1_800_000]);
    expect(reminderLeads([{ on: ['deploy_failed'], remindBeforeMs: [] }], leadsMs)).toEqual(leadsMs);
  });

  it('links to the dashboard page of the workspace, or nowhere without TIDE_PUBLIC_URL', () => {
    expect(extendUrl('https://tide.example.com/', 'web')).toBe('https://tide.example.com/workspaces/web');
    expect(extendUrl(undefined, 'web')).toBeNull();
  });
});
