import { expect, it } from 'vitest';
import { normalizeWorkspace } from './normalize-workspace.ts';
import { joined, NO_ENTRIES, NO_ITEMS, SharedValues, sharedFileList } from './shared-values.ts';
import type { WorkspaceConfig } from './workspace-config.schema.ts';

const context = (name: string) => ({
  name,
  defaultTimeZone: 'UTC',
  directory: `/config/workspaces/${name}`,
  file: `workspaces/${name}/config.json`,
  files: ['config.json', 'main.tf'],
  contentHash: name,
});

it('gives equal file lists as one frozen list, and a different list as its own', () => {
  const first = sharedFileList(['config.json', 'main.tf']);
  expect(sharedFileList(['config.json', 'main.tf'])).toBe(first);
  expect(Object.isFrozen(first)).toBe(true);
  expect(sharedFileList(['config.json', 'main.tf', 'outputs.tf'])).toEqual([
    'config.json',
    'main.tf',
    'outputs.tf',
  ]);
});

it('makes a value again once it is no longer remembered, and equal values stay equal', () => {
  const values = new SharedValues<{ n: number }>(1);
  const a = values.get('a', () => ({ n: 1 }));
  expect(values.get('a', () => ({ n: 2 }))).toBe(a);
  values.get('b', () => ({ n: 3 }));
  expect(values.get('a', () => ({ n: 1 }))).not.toBe(a);
});

it('joins parts into one string', () => {
  expect(joined('workspace', ':', 'web')).toBe('workspace:web');
});

it('gives workspaces without labels, variables, modes or lists the shared frozen empties', () => {
  const web = normalizeWorkspace({ enabled: true }, context('web'));
  for (const list of [web.uptime, web.calendars, web.sensitiveVariables, web.dependsOn, web.edges])
    expect(list).toBe(NO_ITEMS);
  for (const list of [web.notifications, web.jobs]) expect(list).toBe(NO_ITEMS);
  for (const record of [web.labels, web.variables, web.modes]) expect(record).toBe(NO_ENTRIES);
  expect(Object.isFrozen(NO_ITEMS) && Object.isFrozen(NO_ENTRIES)).toBe(true);
});

it('shares the edges of workspaces with the same schedules in the same zone, not across zones', () => {
  const config: WorkspaceConfig = { deploy_schedule: '0 8 * * 1-5', destroy_schedule: '0 19 * * 1-5' };
  const web = normalizeWorkspace(config, context('web'));
  const api = normalizeWorkspace(config, context('api'));
  expect(api.edges).toBe(web.edges);
  expect(web.edges.map((edge) => edge.key)).toEqual([
    'deploy_schedule:0 8 * * 1-5',
    'destroy_schedule:0 19 * * 1-5',
  ]);
  const paris = normalizeWorkspace({ ...config, timezone: 'Europe/Paris' }, context('paris'));
  expect(paris.edges[0]!.timezone).toBe('Europe/Paris');
  expect(paris.edges).not.toBe(web.edges);
});

it("gives a workspace with scheduled jobs its own list: its edges, then its jobs'", () => {
  const web = normalizeWorkspace(
    {
      deploy_schedule: '0 8 * * *',
      jobs: [{ name: 'report', type: 'command', command: 'true', schedule: '0 9 * * *', enabled: true }],
    },
    context('web'),
  );
  expect(web.edges.map((edge) => edge.key)).toEqual(['deploy_schedule:0 8 * * *', 'jobs.report:0 9 * * *']);
});
