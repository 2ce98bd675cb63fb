import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import type { Run, Workspace } from '../api/types';
import { applyEvent } from './events';

const run = (patch: Partial<Run>): Run => ({
  id: 'r1',
  workspace: 'web',
  job: null,
  action: 'deploy',
  mode: null,
  state: 'running',
  trigger: 'api',
  actor: 'alice',
  attempt: 1,
  retry_of: null,
  firing_id: null,
  created_at: '2027-03-15T07:00:00.000Z',
  started_at: '2027-03-15T07:00:01.000Z',
  finished_at: null,
  exit_code: null,
  reason: null,
  plan_summary: null,
  outputs: null,
  not_before: null,
  cancel_requested_at: null,
  config_hash: null,
  ...patch,
});

const workspace = (name: string): Workspace => ({
  name,
  enabled: true,
  status: 'destroyed',
  mode: null,
  drifted: false,
  drift: null,
  overrides: [],
  description: '',
  timezone: 'UTC',
  template: null,
  labels: {},
  modes: [],
  protect: false,
  next_firings: [],
  ttl: null,
  current_run: null,
  last_run: null,
  config_error: null,
});

describe('live events applied to what the page shows', () => {
  it('patches the one workspace a status change is about, in the list and on its page', () => {
    const client = new QueryClient();
    client.setQueryData(['workspaces'], [workspace('web'), workspace('db')]);
    client.setQueryData(['workspace', 'web'], workspace('web'));
    applyEvent(client, { type: 'workspace.status', workspace: 'web', status: 'deployed', mode: 'large' });
    const list = client.getQueryData<Workspace[]>(['workspaces'])!;
    expect(list.map((w) => [w.name, w.status, w.mode])).toEqual([
      ['web', 'deployed', 'large'],
      ['db', 'destroyed', null],
    ]);
    expect(client.getQueryData<Workspace>(['workspace', 'web'])!.status).toBe('deployed');
  });

  it('makes an active run current, and a finished one the last run', () => {
    const client = new QueryClient();
    client.setQueryData(['workspaces'], [workspace('web')]);
    applyEvent(client, { type: 'run.updated', run: run({}) });
    expect(client.getQueryData<Workspace[]>(['workspaces'])![0]!.current_run?.id).toBe('r1');
    applyEvent(client, {
      type: 'run.updated',
      run: run({ state: 'succeeded', finished_at: '2027-03-15T07:01:00.000Z' }),
    });
    const [web] = client.getQueryData<Workspace[]>(['workspaces'])!;
    expect(web!.current_run).toBeNull();
    expect(web!.last_run?.state).toBe('succeeded');
    expect(client.getQueryData<Run>(['run', 'r1'])!.state).toBe('succeeded');
  });
});
