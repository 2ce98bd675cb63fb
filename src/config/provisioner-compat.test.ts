import { afterEach, describe, expect, it } from 'vitest';
import { makeConfigDir, minimalTf, workspaceFiles } from '../../test/helpers/config-dir.ts';
import { formatProblem, loadConfigDirectory } from './config-loader.ts';
import { provisionerJobValue, provisionerWorkspaceValue } from './provisioner-compat.ts';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

async function load(files: Record<string, string | object>) {
  const config = makeConfigDir(files);
  cleanups.push(config.cleanup);
  const { snapshot } = await loadConfigDirectory(config.dir, { defaultTimeZone: 'UTC' });
  return { snapshot, lines: snapshot.problems.map(formatProblem) };
}

const script = { type: 'script', script: 'echo hi', enabled: true };

describe('values the Provisioner writes for "not set"', () => {
  it('reads null deploy and destroy schedules as not set (what `workspacectl add` writes)', async () => {
    const { snapshot, lines } = await load(
      workspaceFiles('added', {
        enabled: true,
        deploy_schedule: null,
        destroy_schedule: null,
        description: '',
      }),
    );
    expect(lines).toEqual([]);
    expect(snapshot.workspaces.get('added')?.edges).toEqual([]);
  });

  it('makes a job whose schedule is null manual-only: no cron edge, no event', async () => {
    const { snapshot, lines } = await load({
      ...workspaceFiles('web', { jobs: [{ name: 'report', schedule: null, ...script }] }),
      'jobs/cleanup.json': { schedule: null, ...script },
    });
    expect(lines).toEqual([]);
    const job = snapshot.workspaces.get('web')!.jobs[0]!;
    expect([job.schedules, job.events, job.enabled]).toEqual([[], [], true]);
    expect(snapshot.jobs.get('cleanup')).toMatchObject({ schedules: [], events: [] });
  });

  it('reads "template": "" as no template, and "" in fields of another job type as absent', async () => {
    const { snapshot, lines } = await load(
      workspaceFiles('web', {
        template: '',
        jobs: [{ name: 'a', template: '', command: '', ...script }],
      }),
    );
    expect(lines).toEqual([]);
    expect(snapshot.workspaces.get('web')?.template).toBeUndefined();
  });

  it('still rejects an empty field the job type needs, and leaves other values alone', () => {
    expect(provisionerJobValue({ type: 'script', script: '' })).toEqual({ type: 'script', script: '' });
    expect(provisionerJobValue('x')).toBe('x');
    expect(provisionerWorkspaceValue([1])).toEqual([1]);
    expect(provisionerWorkspaceValue({ deploy_schedule: false, template: 'x' })).toEqual({
      deploy_schedule: false,
      template: 'x',
    });
  });
});

describe('missing templates the Provisioner ignored', () => {
  it('warns (and drops the template) when a workspace with its own *.tf files names a missing one', async () => {
    const { snapshot, lines } = await load(workspaceFiles('web', { template: 'gone' }));
    expect(lines).toEqual([
      'warning: workspaces/web/config.json: template: template "gone" does not exist; ignored: the workspace has its own *.tf files',
    ]);
    expect(snapshot.workspaces.get('web')?.template).toBeUndefined();
  });

  it('rejects a workspace without code of its own whose template is missing', async () => {
    const { snapshot, lines } = await load({ 'workspaces/web/config.json': { template: 'gone' } });
    expect(lines).toEqual([
      'workspaces/web/config.json: template: template "gone" does not exist (looked in templates/ and the template registry)',
    ]);
    expect(snapshot.workspaces.has('web')).toBe(false);
  });

  it("warns about a disabled job's missing template and rejects an enabled one's", async () => {
    const job = (enabled: boolean) => ({ name: 'sub', type: 'template', template: 'gone', enabled });
    const { snapshot, lines } = await load({
      ...workspaceFiles('quiet', { jobs: [job(false)] }),
      ...workspaceFiles('loud', { jobs: [job(true)] }),
      'jobs/off.json': { type: 'template', template: 'gone' },
      'jobs/on.json': { type: 'template', template: 'gone', enabled: true },
    });
    expect(lines.sort()).toEqual([
      'jobs/on.json: template: template "gone" does not exist',
      'warning: jobs/off.json: template: template "gone" does not exist (the job is disabled)',
      'warning: workspaces/quiet/config.json: jobs[0].template: template "gone" does not exist (the job is disabled)',
      'workspaces/loud/config.json: jobs[0].template: template "gone" does not exist',
    ]);
    expect([...snapshot.workspaces.keys()]).toEqual(['quiet']);
    expect([...snapshot.jobs.keys()]).toEqual(['off']);
  });
});

describe('one problem never hides another', () => {
  it('reports a bad field together with what the other fields break', async () => {
    const { lines } = await load({
      'workspaces/web/config.json': {
        deploy_schedule: '0 9 * * 8',
        mode_schedules: { busy: '0 8 * * *' },
        uptime: [{ from: '08:00', to: '18:00' }],
      },
      'workspaces/web/main.tf': minimalTf,
    });
    expect(lines).toEqual([
      expect.stringMatching(/^workspaces\/web\/config\.json: deploy_schedule: invalid cron expression/),
      'workspaces/web/config.json: uptime: uptime windows cannot be combined with mode_schedules: the windows already say when to deploy and destroy',
    ]);
  });

  it('reports an unknown key together with what the other fields break', async () => {
    const { lines } = await load({
      'workspaces/web/config.json': {
        enabeld: true,
        uptime: [{ from: '08:00', to: '18:00' }],
        enforce: true,
        deploy_schedule: '0 9 * * *',
      },
      'workspaces/web/main.tf': minimalTf,
    });
    expect(lines).toEqual([
      'workspaces/web/config.json: enabeld: unknown key "enabeld"',
      'workspaces/web/config.json: uptime: uptime windows cannot be combined with deploy_schedule: the windows already say when to deploy and destroy',
    ]);
  });

  it("reports a bad field together with the other units' missing template, calendar and dependency", async () => {
    const { snapshot, lines } = await load({
      'workspaces/web/config.json': {
        deploy_schedule: '0 9 * * 8',
        template: 'gone',
        calendar: 'holidays',
        depends_on: ['ghost'],
      },
    });
    expect(lines).toEqual([
      expect.stringMatching(/^workspaces\/web\/config\.json: deploy_schedule: invalid cron expression/),
      'workspaces/web/config.json: template: template "gone" does not exist (looked in templates/ and the template registry)',
      'workspaces/web/config.json: calendar: calendar "holidays" does not exist in calendars/',
      'workspaces/web/config.json: depends_on[0]: workspace "ghost" does not exist',
    ]);
    expect(snapshot.workspaces.size).toBe(0);
  });

  it('does not report "no code" when the bad field is the template', async () => {
    const { lines } = await load({ 'workspaces/web/config.json': { template: 'Bad Name', enabeld: true } });
    expect(lines).toEqual([
      expect.stringMatching(/^workspaces\/web\/config\.json: template: invalid name "Bad Name"/),
      'workspaces/web/config.json: enabeld: unknown key "enabeld"',
    ]);
  });

  it("reports a standalone job's schema problems together with its dependencies", async () => {
    const { lines } = await load({
      'jobs/a.json': { name: 'Bad', depends_on: ['b'], ...script },
      'jobs/c.json': { type: 'script', depends_on: ['b'], timeout: 'soon' },
    });
    expect(lines).toEqual([
      expect.stringMatching(/^jobs\/a\.json: name: invalid name "Bad"/),
      'jobs/a.json: depends_on: standalone jobs cannot depend on other jobs; put them in one workspace',
      expect.stringMatching(/^jobs\/c\.json: timeout: /),
      'jobs/c.json: script: a script job needs a non-empty "script"',
      'jobs/c.json: depends_on: standalone jobs cannot depend on other jobs; put them in one workspace',
    ]);
  });

  it("checks the other jobs' dependencies when one job is invalid, at their own indices", async () => {
    const { lines } = await load(
      workspaceFiles('web', {
        jobs: [
          { name: 'a', type: 'script', script: 'true', timeout: 'soon', depends_on: ['ghost'] },
          { name: 'b', type: 'script', script: 'true', depends_on: ['a', 'nowhere'] },
          { name: 'Bad Name', type: 'script' },
          { name: 'b', type: 'command', command: 'true' },
          'not a job',
        ],
      }),
    );
    expect(lines).toEqual([
      expect.stringMatching(/^workspaces\/web\/config\.json: jobs\[0\]\.timeout: /),
      expect.stringMatching(/^workspaces\/web\/config\.json: jobs\[2\]\.name: invalid name "Bad Name"/),
      'workspaces/web/config.json: jobs[2].script: a script job needs a non-empty "script"',
      'workspaces/web/config.json: jobs[4]: expected object',
      'workspaces/web/config.json: jobs[3].name: duplicate job name "b" (also jobs[1])',
      'workspaces/web/config.json: jobs[0].depends_on: job "a" depends on non-existent job "ghost"',
      'workspaces/web/config.json: jobs[1].depends_on: job "b" depends on non-existent job "nowhere"',
    ]);
  });

  it('says only what is wrong with a config that is not an object at all', async () => {
    const { lines } = await load({ 'workspaces/web/config.json': [1], 'workspaces/web/main.tf': minimalTf });
    expect(lines).toEqual(['workspaces/web/config.json: expected object']);
  });

  it("does not repeat a standalone job's dependency problem the schema already names", async () => {
    const { lines } = await load({ 'jobs/a.json': { depends_on: 'b', ...script } });
    expect(lines).toEqual([expect.stringMatching(/^jobs\/a\.json: depends_on: expected array/)]);
  });

  it('names a standalone job file whose name is not a valid one, with its other problems', async () => {
    const { lines } = await load({ 'jobs/Bad_Name.json': { depends_on: ['b'], ...script } });
    expect(lines).toEqual([
      expect.stringMatching(/^jobs\/Bad_Name\.json: invalid job name "Bad_Name"/),
      'jobs/Bad_Name.json: depends_on: standalone jobs cannot depend on other jobs; put them in one workspace',
    ]);
  });

  it('reports a missing workspace and a missing template of one standalone job together', async () => {
    const { lines } = await load({
      'jobs/sub.json': { type: 'template', template: 'gone', workspace: 'nowhere', enabled: true },
    });
    expect(lines).toEqual([
      'jobs/sub.json: workspace: workspace "nowhere" does not exist',
      'jobs/sub.json: template: template "gone" does not exist',
    ]);
  });
});
