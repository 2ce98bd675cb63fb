import { describe, expect, it } from 'vitest';
import { checkWorkspace } from './workspace-checks.ts';
import { workspaceConfigSchema } from './workspace-config.schema.ts';

/** Checks a workspace.json as the loader does: parsed by the schema first, in folder `web` with code. */
function check(raw: Record<string, unknown>, files: readonly string[] = ['main.tf']) {
  return checkWorkspace(workspaceConfigSchema.parse(raw), { name: 'web', files });
}

function error(path: string, message: string) {
  return { severity: 'error', path, message };
}

const job = (name: string, depends_on?: string[]) => ({ name, type: 'script', script: 'true', depends_on });

describe('the checks across fields of one workspace', () => {
  it('finds nothing wrong with a workspace that has code and consistent fields', () => {
    expect(
      check({
        name: 'web',
        deploy_schedule: '0 8 * * mon-fri',
        destroy_schedule: '0 18 * * mon-fri',
        modes: { night: { variables: { size: 'small' } } },
        variables: { size: 'large' },
        sensitive_variables: ['db_password'],
        jobs: [job('build'), job('test', ['build'])],
        depends_on: ['network'],
      }),
    ).toEqual([]);
  });

  describe('schedule kinds', () => {
    it('refuses mode_schedules together with deploy_schedule', () => {
      expect(
        check({ modes: { day: {} }, mode_schedules: { day: '0 8 * * *' }, deploy_schedule: '0 9 * * *' }),
      ).toEqual([error('mode_schedules', "cannot specify both 'mode_schedules' and 'deploy_schedule'")]);
    });

    it('refuses uptime windows with any schedule that deploys or destroys, naming each', () => {
      const uptime = [{ from: '08:00', to: '18:00' }];
      expect(check({ uptime, deploy_schedule: '0 8 * * *', destroy_schedule: '0 18 * * *' })).toEqual([
        error(
          'uptime',
          'uptime windows cannot be combined with deploy_schedule, destroy_schedule: the windows already say when to deploy and destroy',
        ),
      ]);
      expect(check({ uptime, modes: { day: {} }, mode_schedules: { day: '0 8 * * *' } })).toEqual([
        error(
          'uptime',
          'uptime windows cannot be combined with mode_schedules: the windows already say when to deploy and destroy',
        ),
      ]);
    });

    it('accepts uptime windows alone, enforced or not', () => {
      expect(check({ uptime: [{ from: '08:00', to: '18:00' }], enforce: true })).toEqual([]);
    });

    it('refuses "enforce" on a workspace without uptime windows', () => {
      expect(check({ deploy_schedule: '0 8 * * *', enforce: false })).toEqual([
        error('enforce', '"enforce" applies to uptime windows and this workspace has none'),
      ]);
    });
  });

  describe('modes', () => {
    it('refuses a mode schedule or an uptime window in a mode that "modes" does not declare', () => {
      expect(
        check({
          modes: { day: {}, night: {} },
          uptime: [
            { from: '08:00', to: '18:00', mode: 'day' },
            { from: '18:00', to: '20:00' },
            { from: '20:00', to: '08:00', mode: 'weekend' },
          ],
        }),
      ).toEqual([
        error('uptime[2].mode', 'mode "weekend" is not declared in "modes" (declared: day, night)'),
      ]);
      expect(check({ modes: { day: {} }, mode_schedules: { day: '0 8 * * *', late: '0 22 * * *' } })).toEqual(
        [error('mode_schedules.late', 'mode "late" is not declared in "modes" (declared: day)')],
      );
    });

    it('says "none" when "modes" is empty', () => {
      expect(check({ modes: {}, mode_schedules: { day: '0 8 * * *' } })).toEqual([
        error('mode_schedules.day', 'mode "day" is not declared in "modes" (declared: none)'),
      ]);
    });

    it('leaves mode names unchecked when the workspace has no "modes" at all', () => {
      expect(check({ mode_schedules: { day: '0 8 * * *' } })).toEqual([]);
    });
  });

  describe('variables', () => {
    it('refuses the names Tide sets for every run, in variables and in each mode', () => {
      expect(
        check({
          variables: { workspace: 'x', size: 'large' },
          modes: { day: {}, night: { variables: { mode: 'y' } } },
        }),
      ).toEqual([
        error('variables.workspace', '"workspace" is set by Tide for every run; use another name'),
        error('modes.night.variables.mode', '"mode" is set by Tide for every run; use another name'),
      ]);
    });

    it('refuses a sensitive variable that also has a value in the file', () => {
      expect(
        check({ variables: { db_password: 'hunter2' }, sensitive_variables: ['api_key', 'db_password'] }),
      ).toEqual([
        error(
          'sensitive_variables[1]',
          '"db_password" is also in "variables": sensitive values are set through the API, never in files',
        ),
      ]);
    });

    it('accepts sensitive variables when the file sets no variables', () => {
      expect(check({ sensitive_variables: ['api_key'] })).toEqual([]);
    });
  });

  describe('jobs', () => {
    it('refuses a duplicate job name, pointing at the first one', () => {
      expect(check({ jobs: [job('build'), job('test'), job('build')] })).toEqual([
        error('jobs[2].name', 'duplicate job name "build" (also jobs[0])'),
      ]);
    });

    it('refuses a dependency on a job that does not exist', () => {
      expect(check({ jobs: [job('build'), job('test', ['build', 'lint'])] })).toEqual([
        error('jobs[1].depends_on', 'job "test" depends on non-existent job "lint"'),
      ]);
    });

    it('refuses a cycle of job dependencies, shown from the job that starts it', () => {
      expect(check({ jobs: [job('seed'), job('build', ['test']), job('test', ['build'])] })).toEqual([
        error('jobs[1].depends_on', 'circular dependency between jobs: build → test → build'),
      ]);
    });

    it('follows the first definition of a duplicated job', () => {
      expect(check({ jobs: [job('build'), job('build', ['missing'])] })).toEqual([
        error('jobs[1].name', 'duplicate job name "build" (also jobs[0])'),
      ]);
    });
  });

  describe('code', () => {
    it('accepts OpenTofu files at the top of the folder, in HCL or JSON', () => {
      expect(check({}, ['README.md', 'main.tf'])).toEqual([]);
      expect(check({}, ['main.tf.json'])).toEqual([]);
    });

    it('refuses a folder whose only .tf files are in subfolders or that has only look-alikes', () => {
      const noCode = [error('', 'no OpenTofu code: add *.tf files to the folder or set "template"')];
      expect(check({}, [])).toEqual(noCode);
      expect(check({}, ['modules/net/main.tf'])).toEqual(noCode);
      expect(check({}, ['main.tfvars', 'main.tf.bak', 'main.tf.yaml'])).toEqual(noCode);
    });

    it('accepts a workspace without code that takes it from a template', () => {
      expect(check({ template: 'static-site' }, [])).toEqual([]);
    });
  });

  it('refuses a workspace that depends on itself', () => {
    expect(check({ depends_on: ['network', 'web'] })).toEqual([
      error('depends_on', 'a workspace cannot depend on itself'),
    ]);
  });

  it('warns, without refusing, that a "name" other than the folder is ignored', () => {
    expect(check({ name: 'website' })).toEqual([
      {
        severity: 'warning',
        path: 'name',
        message: 'ignored: the workspace is named after its folder ("web"), not "website"',
      },
    ]);
  });

  it('accepts plan_schedule as a deprecated alias of drift_schedule, with a warning naming the new key', () => {
    expect(check({ plan_schedule: '0 6 * * *' })).toEqual([
      {
        severity: 'warning',
        path: 'plan_schedule',
        message: 'plan_schedule is deprecated: rename it to drift_schedule (same meaning)',
      },
    ]);
    expect(check({ drift_schedule: '0 6 * * *', drift: { remediate: true } })).toEqual([]);
  });

  it('refuses drift_schedule and plan_schedule together', () => {
    expect(check({ drift_schedule: '0 6 * * *', plan_schedule: '0 7 * * *' })).toEqual([
      error('plan_schedule', 'set drift_schedule or its deprecated alias plan_schedule, not both'),
    ]);
  });

  it('reports every problem at once', () => {
    expect(check({ enforce: true, depends_on: ['web'], variables: { mode: 'x' } }, [])).toHaveLength(4);
  });
});
