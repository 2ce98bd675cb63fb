import { symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeConfigDir, minimalTf, workspaceFiles } from '../../test/helpers/config-dir.ts';
import { formatProblem, loadConfigDirectory } from './config-loader.ts';

const options = { defaultTimeZone: 'UTC' };
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

async function load(files: Record<string, string | object>) {
  const config = makeConfigDir(files);
  cleanups.push(config.cleanup);
  const { snapshot } = await loadConfigDirectory(config.dir, options);
  return { snapshot, lines: snapshot.problems.map(formatProblem) };
}

describe('loading a configuration directory', () => {
  it('loads the shipped examples with no problem', async () => {
    const { snapshot } = await loadConfigDirectory('examples', options);
    expect(snapshot.problems).toEqual([]);
    expect([...snapshot.workspaces.keys()].sort()).toEqual([
      'blink',
      'demo-paris',
      'dev-classic',
      'reporting',
      'web-modes',
    ]);
    expect([...snapshot.jobs.keys()]).toEqual(['heartbeat']);
    expect([...snapshot.calendars.keys()].sort()).toEqual(['company-shutdown', 'france-holidays']);
    expect([...snapshot.templates.keys()]).toEqual(['web-app']);
  });

  it('loads a Provisioner config.json unchanged and normalises its schedules', async () => {
    const { snapshot } = await load(
      workspaceFiles('dev', {
        enabled: true,
        description: 'dev',
        deploy_schedule: ['0 9 * * 1', '0 14 * * 1'],
        destroy_schedule: false,
        custom_deploy: { init_command: 'tofu init', apply_command: 'make apply' },
        jobs: [
          {
            name: 'backup',
            type: 'script',
            script: 'echo hi',
            schedule: '0 3 * * 0',
            enabled: true,
            timeout: '30m',
          },
        ],
      }),
    );
    const dev = snapshot.workspaces.get('dev')!;
    expect(dev.edges.map((edge) => [edge.key, edge.action])).toEqual([
      ['deploy_schedule:0 9 * * 1', 'deploy'],
      ['deploy_schedule:0 14 * * 1', 'deploy'],
      ['jobs.backup:0 3 * * 0', 'job'],
    ]);
    expect(dev.jobs[0]!.timeoutMs).toBe(30 * 60_000);
    expect(dev.customDeploy).toEqual({ init_command: 'tofu init', apply_command: 'make apply' });
    expect(dev.policy.catchUp).toBe('latest');
  });

  it('reads config.yaml like config.json', async () => {
    const { snapshot, lines } = await load({
      'workspaces/paris/config.yaml':
        'enabled: true\ntimezone: Europe/Paris\nuptime:\n  - { days: mon-fri, from: "07:00", to: "19:00" }\n',
      'workspaces/paris/main.tf': minimalTf,
    });
    expect(lines).toEqual([]);
    expect(snapshot.workspaces.get('paris')!.uptime).toEqual([
      { key: 'uptime[0]', days: 'mon-fri', from: '07:00', to: '19:00', mode: undefined },
    ]);
  });

  it('names every problem of a bad directory with its file and field', async () => {
    const { snapshot, lines } = await load({
      ...workspaceFiles('bad-cron', { enabled: true, deploy_schedule: ['0 9 * * 1', '61 * * * *'] }),
      ...workspaceFiles('unknown-key', { enabled: true, deploy_schedul: '0 9 * * *' }),
      ...workspaceFiles('escape', { template: '../shared' }),
      ...workspaceFiles('modes', { deploy_schedule: '0 9 * * *', mode_schedules: { busy: '0 8 * * *' } }),
      ...workspaceFiles('a', { depends_on: ['b'] }),
      ...workspaceFiles('b', { depends_on: ['a'] }),
      ...workspaceFiles('fine', { enabled: true, deploy_schedule: '0 9 * * *' }),
    });
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^workspaces\/bad-cron\/config\.json: deploy_schedule\[1\]: invalid cron expression "61 \* \* \* \*"/,
        ),
        'workspaces/unknown-key/config.json: deploy_schedul: unknown key "deploy_schedul"',
        expect.stringMatching(/^workspaces\/escape\/config\.json: template: invalid name "\.\.\/shared"/),
        "workspaces/modes/config.json: mode_schedules: cannot specify both 'mode_schedules' and 'deploy_schedule'",
        'workspaces/a/config.json: depends_on: circular dependency between workspaces: a → b → a',
        'workspaces/b/config.json: depends_on: circular dependency between workspaces: a → b → a',
      ]),
    );
    expect([...snapshot.workspaces.keys()]).toEqual(['fine']);
  });

  it('rejects folder and file names that could escape a directory or collide', async () => {
    const { lines } = await load({
      ...workspaceFiles('Web_App', {}),
      'jobs/evil.json': { name: '../../etc', type: 'command', command: 'true' },
    });
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^workspaces\/Web_App: invalid workspace name "Web_App"/),
        expect.stringMatching(/^jobs\/evil\.json: name: invalid name "\.\.\/\.\.\/etc"/),
      ]),
    );
  });

  it("keeps the Provisioner's custom command messages", async () => {
    const { lines } = await load({
      ...workspaceFiles('empty', { custom_deploy: {} }),
      ...workspaceFiles('blank', { custom_destroy: { init_command: 'tofu init', destroy_command: ' \t\n' } }),
    });
    expect(lines).toEqual(
      expect.arrayContaining([
        'workspaces/empty/config.json: custom_deploy: at least one custom command must be specified (init_command, plan_command, or apply_command)',
        'workspaces/blank/config.json: custom_destroy.destroy_command: destroy_command cannot be empty or whitespace-only',
      ]),
    );
  });

  it('checks job types, names, event triggers and dependencies', async () => {
    const { lines } = await load(
      workspaceFiles('jobs', {
        deploy_schedule: '@deployment',
        jobs: [
          { name: 'a', type: 'script', schedule: '@deployment', depends_on: ['b'] },
          { name: 'b', type: 'command', command: 'true', depends_on: ['a', 'ghost'] },
          { name: 'b', type: 'template', template: 'net', script: 'echo' },
        ],
      }),
    );
    expect(lines).toEqual(
      expect.arrayContaining([
        'workspaces/jobs/config.json: deploy_schedule: "@deployment" is a job event trigger; workspace schedules take cron expressions',
        'workspaces/jobs/config.json: jobs[0].script: a script job needs a non-empty "script"',
        'workspaces/jobs/config.json: jobs[2].script: "script" does not apply to a template job',
      ]),
    );
    const { lines: graphLines } = await load(
      workspaceFiles('graph', {
        jobs: [
          { name: 'a', type: 'command', command: 'true', depends_on: ['b'] },
          { name: 'b', type: 'command', command: 'true', depends_on: ['a', 'ghost'] },
          { name: 'b', type: 'command', command: 'true' },
        ],
      }),
    );
    expect(graphLines).toEqual(
      expect.arrayContaining([
        'workspaces/graph/config.json: jobs[2].name: duplicate job name "b" (also jobs[1])',
        'workspaces/graph/config.json: jobs[1].depends_on: job "b" depends on non-existent job "ghost"',
        'workspaces/graph/config.json: jobs[0].depends_on: circular dependency between jobs: a → b → a',
      ]),
    );
  });

  it('checks rules that span fields of one workspace', async () => {
    const { lines } = await load({
      ...workspaceFiles('mixed', {
        uptime: [{ from: '07:00', to: '19:00' }],
        destroy_schedule: '0 19 * * *',
      }),
      ...workspaceFiles('enforce', { enforce: true }),
      ...workspaceFiles('vars', {
        variables: { workspace: 'x', token: 'y' },
        sensitive_variables: ['token'],
      }),
      ...workspaceFiles('undeclared', { mode_schedules: { busy: '0 8 * * *' }, modes: { idle: {} } }),
      'workspaces/no-code/config.json': { enabled: true },
    });
    expect(lines).toEqual(
      expect.arrayContaining([
        'workspaces/mixed/config.json: uptime: uptime windows cannot be combined with destroy_schedule: the windows already say when to deploy and destroy',
        'workspaces/enforce/config.json: enforce: "enforce" applies to uptime windows and this workspace has none',
        'workspaces/vars/config.json: variables.workspace: "workspace" is set by Tide for every run; use another name',
        'workspaces/vars/config.json: sensitive_variables[0]: "token" is also in "variables": sensitive values are set through the API, never in files',
        'workspaces/undeclared/config.json: mode_schedules.busy: mode "busy" is not declared in "modes" (declared: idle)',
        'workspaces/no-code/config.json: no OpenTofu code: add *.tf files to the folder or set "template"',
      ]),
    );
  });

  it('rejects references to templates, calendars and workspaces that do not exist', async () => {
    const { snapshot, lines } = await load({
      // No *.tf of its own: with some, a missing template is only a warning (provisioner-compat.test.ts).
      'workspaces/refs/config.json': {
        template: 'nope',
        calendar: ['holidays', 'missing'],
        depends_on: ['ghost'],
      },
      'calendars/holidays.yaml': '- 2027-01-01\n',
      'jobs/orphan.json': { type: 'command', command: 'true', workspace: 'ghost' },
    });
    expect(lines).toEqual(
      expect.arrayContaining([
        'workspaces/refs/config.json: template: template "nope" does not exist (looked in templates/ and the template registry)',
        'workspaces/refs/config.json: calendar[1]: calendar "missing" does not exist in calendars/',
        'workspaces/refs/config.json: depends_on[0]: workspace "ghost" does not exist',
        'jobs/orphan.json: workspace: workspace "ghost" does not exist',
      ]),
    );
    expect(snapshot.workspaces.size).toBe(0);
    expect(snapshot.calendars.has('holidays')).toBe(true);
  });

  it('reports malformed files without blocking the other units', async () => {
    const { snapshot, lines } = await load({
      'workspaces/broken/config.json': '{ "enabled": true,',
      'workspaces/twice/config.json': '{}',
      'workspaces/twice/config.yaml': 'enabled: true',
      'workspaces/dup/config.yaml': 'enabled: true\nenabled: false\n',
      'workspaces/dup/main.tf': minimalTf,
      'jobs/notes.txt': 'not a job',
      ...workspaceFiles('fine', {}),
    });
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^workspaces\/broken\/config\.json: invalid JSON/),
        'workspaces/twice: more than one config file: config.json, config.yaml',
        'workspaces/dup/config.yaml: invalid YAML: Map keys must be unique at line 2, column 1',
      ]),
    );
    expect([...snapshot.workspaces.keys()]).toEqual(['fine']);
  });

  it('warns about an ignored name key that differs from the folder', async () => {
    const { snapshot, lines } = await load(workspaceFiles('real', { name: 'other' }));
    expect(lines).toEqual([
      'warning: workspaces/real/config.json: name: ignored: the workspace is named after its folder ("real"), not "other"',
    ]);
    expect(snapshot.workspaces.has('real')).toBe(true);
  });

  it("includes every file and the template's content in the workspace hash", async () => {
    const base = { ...workspaceFiles('w', { template: 't' }), 'templates/t/main.tf': minimalTf };
    const first = (await load(base)).snapshot.workspaces.get('w')!.contentHash;
    const tfvars = (await load({ ...base, 'workspaces/w/prod.tfvars': 'x = 1' })).snapshot.workspaces.get(
      'w',
    )!.contentHash;
    const template = (
      await load({ ...base, 'templates/t/main.tf': `${minimalTf}# changed\n` })
    ).snapshot.workspaces.get('w')!.contentHash;
    expect(new Set([first, tfvars, template]).size).toBe(3);
    expect((await load(base)).snapshot.workspaces.get('w')!.contentHash).toBe(first);
  });

  it('reads a config file that is a link, warns that the link is not hashed, and skips a linked folder', async () => {
    const config = makeConfigDir({
      'shared/web.json': { description: 'through a link' },
      'workspaces/web/main.tf': minimalTf,
      ...workspaceFiles('real', {}),
    });
    cleanups.push(config.cleanup);
    symlinkSync(
      path.join(config.dir, 'shared/web.json'),
      path.join(config.dir, 'workspaces/web/config.json'),
    );
    symlinkSync(path.join(config.dir, 'workspaces/real'), path.join(config.dir, 'workspaces/alias'));
    const { snapshot } = await loadConfigDirectory(config.dir, options);
    expect(snapshot.workspaces.get('web')?.description).toBe('through a link');
    expect(snapshot.problems.map(formatProblem)).toEqual([
      'warning: workspaces/web/config.json: symbolic link not followed: a workspace is the files inside its folder',
    ]);
    expect([...snapshot.workspaces.keys()].sort()).toEqual(['real', 'web']);
  });

  it('hashes the same bytes it parses: a changed config file changes the hash and the value', async () => {
    const config = makeConfigDir(workspaceFiles('w', { description: 'one' }));
    cleanups.push(config.cleanup);
    const first = (await loadConfigDirectory(config.dir, options)).snapshot.workspaces.get('w')!;
    writeFileSync(path.join(config.dir, 'workspaces/w/config.json'), JSON.stringify({ description: 'two' }));
    const second = (await loadConfigDirectory(config.dir, options)).snapshot.workspaces.get('w')!;
    expect([first.description, second.description]).toEqual(['one', 'two']);
    expect(second.contentHash).not.toBe(first.contentHash);
  });

  it('fails clearly when the directory does not exist', async () => {
    await expect(loadConfigDirectory('/nonexistent/tide-config', options)).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
