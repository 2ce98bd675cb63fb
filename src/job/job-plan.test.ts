import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEffectiveConfig } from '../../test/helpers/api-fixture.ts';
import { makeConfigDir, workspaceFiles } from '../../test/helpers/config-dir.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import type { Run } from '../run/run.ts';
import {
  chainsFiredBy,
  dependencyOrder,
  dependentsOf,
  eventOf,
  rootedChain,
  startupChains,
} from './job-plan.ts';

const job = (name: string, extra: object = {}) => ({
  name,
  type: 'command',
  command: 'true',
  enabled: true,
  ...extra,
});

const configDir = makeConfigDir({
  ...workspaceFiles('web', {
    enabled: true,
    jobs: [
      // Listed before what it depends on: the chain still puts it last.
      job('notify', { schedule: '@deployment', depends_on: ['warm'] }),
      job('warm', { schedule: ['@deployment', '@startup'], depends_on: ['migrate'] }),
      job('migrate', { schedule: ['@deployment', '0 5 * * *'] }),
      job('alert', { schedule: '@deployment-failed' }),
      job('off', { schedule: ['@deployment', '0 4 * * *'], enabled: false }),
      job('report', { depends_on: ['migrate'] }),
      { name: 'dns', type: 'template', template: 'dns', schedule: '@deployment', enabled: true },
    ],
  }),
  'templates/dns/main.tf': 'resource "terraform_data" "dns" {}\n',
  'jobs/audit.json': job('audit', { schedule: '@destroy', workspace: 'web' }),
  'jobs/boot.json': job('boot', { schedule: '@startup' }),
  'jobs/elsewhere.json': job('elsewhere', { schedule: '@deployment', workspace: 'other' }),
  ...workspaceFiles('other', { enabled: true }),
});

let config: EffectiveConfig;
beforeAll(async () => {
  config = await loadEffectiveConfig(configDir.dir);
  expect(config.snapshot.problems.filter((p) => p.severity === 'error')).toEqual([]);
});
afterAll(() => configDir.cleanup());

const run = (action: Run['action'], extra: Partial<Run> = {}) =>
  ({ id: 'r1', workspace: 'web', job: null, action, ...extra }) as Run;

describe('which event an outcome fires', () => {
  it('maps completed and failed deploys, mode switches and destroys to their events', () => {
    expect(eventOf(run('deploy'), { event: 'completed' })).toBe('@deployment');
    expect(eventOf(run('mode'), { event: 'failed' })).toBe('@deployment-failed');
    expect(eventOf(run('destroy'), { event: 'completed' })).toBe('@destroy');
    expect(eventOf(run('destroy'), { event: 'failed' })).toBe('@destroy-failed');
  });

  it('fires nothing for a cancel before apply, a drift check, a job, or no workspace change', () => {
    expect(eventOf(run('deploy'), { event: 'canceled_before_apply' })).toBeNull();
    expect(eventOf(run('plan'), { event: null })).toBeNull();
    expect(eventOf(run('job', { job: 'warm' }), { event: 'completed' })).toBeNull();
    expect(eventOf(run('destroy', { job: 'dns' }), { event: 'completed' })).toBeNull();
    expect(eventOf(run('deploy'), null)).toBeNull();
  });
});

describe('the chains an outcome fires', () => {
  const fired = (action: Run['action'], event: 'completed' | 'failed') =>
    chainsFiredBy(() => config)(run(action), { event });

  it("queues the workspace's enabled listeners in dependency order, as one chain, right after the run", () => {
    const [chain, ...others] = fired('deploy', 'completed');
    expect(others).toEqual([]);
    expect(chain).toMatchObject({
      workspace: 'web',
      trigger: '@deployment',
      runTrigger: 'event',
      sourceRunId: 'r1',
      priority: 0,
    });
    expect(chain!.runs.map((each) => [each.job, each.dependsOn])).toEqual([
      ['migrate', []],
      ['warm', ['migrate']],
      ['notify', ['warm']],
      ['dns', []],
    ]);
    expect(chain!.runs.every((each) => each.lockKey === 'web' && each.action === 'job')).toBe(true);
  });

  it('queues only the failure listeners after a failed deploy', () => {
    expect(fired('deploy', 'failed').flatMap((chain) => chain.runs.map((each) => each.job))).toEqual([
      'alert',
    ]);
  });

  it("after a destroy: standalone listeners in the workspace's lock, and the template jobs' sub-stack destroys", () => {
    const chains = fired('destroy', 'completed');
    expect(
      chains.map((chain) => [
        chain.workspace,
        chain.runs.map((each) => [each.job, each.action, each.lockKey]),
      ]),
    ).toEqual([
      ['_standalone_', [['audit', 'job', 'web']]],
      ['web', [['dns', 'destroy', 'web']]],
    ]);
  });
});

describe('chains started by hand, by cron and at startup', () => {
  it('puts the job first and every enabled job depending on it after, in order', () => {
    const migrate = config.workspaces.get('web')!.definition!.jobs.find((each) => each.name === 'migrate')!;
    const chain = rootedChain(config, migrate, { trigger: 'manual', runTrigger: 'manual', actor: 'ann' });
    expect(chain).toMatchObject({ workspace: 'web', trigger: 'manual', actor: 'ann', sourceRunId: null });
    expect(chain.runs.map((each) => each.job)).toEqual(['migrate', 'warm', 'notify', 'report']);
  });

  it('gathers @startup listeners of every workspace and the standalone ones', () => {
    expect(
      startupChains(config).map((chain) => [chain.workspace, chain.runs.map((each) => each.job)]),
    ).toEqual([
      ['web', ['warm']],
      ['_standalone_', ['boot']],
    ]);
  });

  it('orders dependencies first and survives a cycle', () => {
    const jobs = config.workspaces.get('web')!.definition!.jobs;
    expect(
      dependencyOrder(jobs)
        .map((each) => each.name)
        .indexOf('migrate'),
    ).toBeLessThan(
      dependencyOrder(jobs)
        .map((each) => each.name)
        .indexOf('warm'),
    );
    const a = { ...jobs[0]!, name: 'a', dependsOn: ['b'] };
    const b = { ...jobs[0]!, name: 'b', dependsOn: ['a'] };
    expect(dependencyOrder([a, b]).map((each) => each.name)).toEqual(['b', 'a']);
    expect(dependentsOf(jobs, 'warm').map((each) => each.name)).toEqual(['notify']);
  });
});

describe('cron of workspace jobs', () => {
  it("puts only enabled jobs' cron among the workspace's edges", () => {
    const edges = config.workspaces.get('web')!.definition!.edges.filter((edge) => edge.action === 'job');
    expect(edges.map((edge) => [edge.job, edge.cron])).toEqual([['migrate', '0 5 * * *']]);
  });
});
