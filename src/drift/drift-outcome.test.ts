import { describe, expect, it } from 'vitest';
import type { WorkspaceStatus } from '../workspace/workspace-status.repo.ts';
import { becameDrifted, driftAfterCheck, type DriftCheck } from './drift-outcome.ts';

const deployed: WorkspaceStatus = {
  workspace: 'web',
  status: 'deployed',
  mode: 'default',
  drifted: false,
  enabled_override: null,
  config_hash: 'h1',
  config_error: null,
  last_run_id: null,
  status_before_run: null,
  deployed_at: '2027-03-15T08:00:00.000Z',
  destroyed_at: null,
  status_changed_at: '2027-03-15T08:00:00.000Z',
  updated_at: '2027-03-15T08:00:00.000Z',
  drift_checked_at: null,
  drift_since: null,
  drift_run_id: null,
  drift_summary: null,
  drift_addresses: [],
};

const found: DriftCheck = {
  runId: 'run-1',
  drifted: true,
  summary: { add: 0, change: 1, destroy: 0 },
  addresses: ['terraform_data.watched'],
  at: new Date('2027-03-15T09:00:00Z'),
};

describe('what a drift check records', () => {
  it('records a finding with its summary and addresses, drifted since the check', () => {
    expect(driftAfterCheck(deployed, found)).toEqual({
      drifted: true,
      drift_checked_at: '2027-03-15T09:00:00.000Z',
      drift_since: '2027-03-15T09:00:00.000Z',
      drift_run_id: 'run-1',
      drift_summary: { add: 0, change: 1, destroy: 0 },
      drift_addresses: ['terraform_data.watched'],
    });
  });

  it('keeps the instant the drift began while later checks find it again', () => {
    const already = { ...deployed, drifted: true, drift_since: '2027-03-15T09:00:00.000Z' };
    const later = { ...found, runId: 'run-2', at: new Date('2027-03-15T10:00:00Z') };
    expect(driftAfterCheck(already, later)).toMatchObject({
      drift_since: '2027-03-15T09:00:00.000Z',
      drift_checked_at: '2027-03-15T10:00:00.000Z',
      drift_run_id: 'run-2',
    });
  });

  it('clears the drift when a check finds none, and says nothing of a workspace that is not deployed', () => {
    const already = { ...deployed, drifted: true, drift_since: '2027-03-15T09:00:00.000Z' };
    expect(driftAfterCheck(already, { ...found, drifted: false })).toMatchObject({
      drifted: false,
      drift_since: null,
      drift_summary: null,
      drift_addresses: [],
    });
    expect(driftAfterCheck({ ...deployed, status: 'destroyed' }, found)).toBeNull();
    expect(driftAfterCheck(null, found)).toBeNull();
  });

  it('announces a drift when the workspace becomes drifted, not when it stays so', () => {
    const drifted = { ...deployed, drifted: true };
    expect(becameDrifted(deployed, drifted)).toBe(true);
    expect(becameDrifted(null, drifted)).toBe(true);
    expect(becameDrifted(drifted, drifted)).toBe(false);
    expect(becameDrifted(drifted, deployed)).toBe(false);
    expect(becameDrifted(deployed, null)).toBe(false);
  });
});
