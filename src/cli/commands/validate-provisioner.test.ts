import { describe, expect, it } from 'vitest';
import { runTideInProcess as tide } from '../../../test/helpers/run-cli.ts';

const fixtures = 'test/fixtures/provisioner-examples';

interface Result {
  ok: boolean;
  workspaces: string[];
  jobs: string[];
  problems: { severity: string; file: string; path: string; message: string }[];
}

async function validate(dir: string): Promise<Result> {
  const result = await tide(['validate', `${fixtures}/${dir}`, '--json']);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as Result;
}

const warnings = (result: Result) =>
  result.problems.filter((p) => p.severity === 'warning').map((p) => `${p.file}: ${p.path}: ${p.message}`);

describe('tide validate on every config example the Provisioner ships', () => {
  it("accepts the repository's workspaces, jobs and templates; missing templates it ignored are warnings", async () => {
    const result = await validate('repository');
    expect(result.ok).toBe(true);
    expect(result.workspaces).toEqual([
      'annapurna',
      'complex-example',
      'job-demo',
      'makefile-demo',
      'mode-example',
      'simple-example',
      'sub-workspace-demo',
      'template-example',
    ]);
    expect(result.jobs).toHaveLength(7);
    expect(warnings(result).sort()).toEqual([
      'jobs/deploy-monitoring.json: template: template "monitoring" does not exist (the job is disabled)',
      'workspaces/job-demo/config.json: jobs[3].template: template "monitoring-stack" does not exist (the job is disabled)',
      'workspaces/job-demo/config.json: template: template "web-app" does not exist; ignored: the workspace has its own *.tf files',
      'workspaces/mode-example/config.json: template: template "web-app" does not exist; ignored: the workspace has its own *.tf files',
      'workspaces/sub-workspace-demo/config.json: template: template "main-infrastructure" does not exist; ignored: the workspace has its own *.tf files',
    ]);
  });

  it('accepts every JSON example of its README and docs (a stray "name" key is a warning)', async () => {
    const docs = await validate('docs');
    expect(docs.ok).toBe(true);
    expect(docs.workspaces).toHaveLength(34);
    expect(docs.jobs).toHaveLength(12);
    expect(
      warnings(docs).every((line) => line.includes(': name: ignored: the workspace is named after')),
    ).toBe(true);
    const sameName = await validate('docs-same-name');
    expect(sameName).toMatchObject({ ok: true, jobs: ['cleanup-temp'], problems: [] });
  });

  it('accepts what its Go code writes: null schedules, "template": "" and a job whose schedule is null', async () => {
    const result = await validate('written-by-go');
    expect(result).toMatchObject({
      ok: true,
      workspaces: ['added', 'added-from-template', 'cleared-template', 'updated-with-jobs'],
      problems: [],
    });
  });
});
