import { describe, expect, it } from 'vitest';
import { decideRemediation, type RemediationInput } from './drift-remediation.ts';

const since = new Date('2027-03-15T09:00:00Z');
const drifted: RemediationInput = {
  remediate: true,
  enabled: true,
  hasUptime: false,
  desired: { state: 'up' },
  status: 'deployed',
  mode: 'default',
  activeRun: null,
  drifted: true,
  driftSince: since,
};

describe('remediating drift', () => {
  it('deploys an edge workspace wanted up in the mode it has, keyed by when the drift began', () => {
    expect(decideRemediation(drifted)).toEqual({ at: since, mode: 'default', reason: 'drift remediation' });
    // No deploy/destroy edge at all: it is up because someone deployed it, so it is put back.
    expect(decideRemediation({ ...drifted, desired: { state: 'none' } })).not.toBeNull();
  });

  it('deploys an uptime workspace only inside an open window, in the window’s mode', () => {
    const uptime = { ...drifted, hasUptime: true };
    expect(decideRemediation({ ...uptime, desired: { state: 'up', mode: 'large' } })).toMatchObject({
      mode: 'large',
    });
    expect(decideRemediation({ ...uptime, desired: { state: 'down' } })).toBeNull();
    expect(decideRemediation({ ...uptime, desired: { state: 'none' } })).toBeNull();
  });

  it('never deploys a workspace kept down, not deployed, held by a run, disabled, not drifted or not opted in', () => {
    expect(decideRemediation({ ...drifted, desired: { state: 'down' } })).toBeNull();
    expect(decideRemediation({ ...drifted, status: 'deploy_failed' })).toBeNull();
    expect(decideRemediation({ ...drifted, activeRun: { id: 'r1' } })).toBeNull();
    expect(decideRemediation({ ...drifted, enabled: false })).toBeNull();
    expect(decideRemediation({ ...drifted, drifted: false, driftSince: null })).toBeNull();
    expect(decideRemediation({ ...drifted, remediate: false })).toBeNull();
  });
});
