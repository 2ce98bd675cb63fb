import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOutputs, parseStateOutputs } from './outputs.ts';
import { changedAddresses, parsePlanSummary, planSummaryLine } from './plan-summary.ts';
import { engineCommand } from './test-engine.ts';

const mainTf = `
variable "replace_token" { type = string }
variable "label" { type = string }
variable "old_count" { type = number }
variable "new_count" { type = number }
variable "password" {
  type      = string
  sensitive = true
}
resource "terraform_data" "replaced" { triggers_replace = var.replace_token }
resource "terraform_data" "updated" { input = var.label }
resource "terraform_data" "removed" { count = var.old_count }
resource "terraform_data" "added" { count = var.new_count }
output "label" { value = terraform_data.updated.output }
output "tags" { value = { team = "platform", size = 2 } }
output "password" {
  value     = var.password
  sensitive = true
}
`;

let dir: string;
/** The summaries the engine's human plan output states, one per summary line. */
const summaryLines = (human: string) => human.split('\n').flatMap((line) => planSummaryLine(line) ?? []);
const vars = (values: Record<string, string | number>) =>
  Object.entries(values).map(([name, value]) => `-var=${name}=${value}`);
const first = vars({
  replace_token: 'a',
  label: 'one',
  old_count: 1,
  new_count: 0,
  password: 'hunter2-secret',
});
const second = vars({
  replace_token: 'b',
  label: 'two',
  old_count: 0,
  new_count: 1,
  password: 'hunter2-secret',
});

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tide-plan-'));
  await writeFile(path.join(dir, 'main.tf'), mainTf);
  await engineCommand(dir, ['init', '-input=false', '-no-color']);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('plan summary and outputs from the real engine', () => {
  it('reads an empty state as no outputs', async () => {
    expect(parseOutputs(await engineCommand(dir, ['output', '-json']))).toEqual({});
  });

  it("counts creates of a first plan as adds, as the engine's own Plan line does", async () => {
    const human = await engineCommand(dir, [
      'plan',
      '-input=false',
      '-no-color',
      '-out=first.tfplan',
      ...first,
    ]);
    const summary = parsePlanSummary(await engineCommand(dir, ['show', '-json', 'first.tfplan']));
    expect(summary).toEqual({ add: 3, change: 0, destroy: 0 });
    expect(summaryLines(human)).toEqual([summary]);
  });

  it('counts a replacement as one add and one destroy, next to an update, a removal and an addition', async () => {
    await engineCommand(dir, ['apply', '-input=false', '-no-color', 'first.tfplan']);
    const human = await engineCommand(dir, [
      'plan',
      '-input=false',
      '-no-color',
      '-out=second.tfplan',
      ...second,
    ]);
    const summary = parsePlanSummary(await engineCommand(dir, ['show', '-json', 'second.tfplan']));
    expect(summary).toEqual({ add: 2, change: 1, destroy: 2 });
    expect(summaryLines(human)).toEqual([summary]);
  });

  it("reads an empty plan and a destroy plan from the engine's human output as show -json counts them", async () => {
    const empty = await engineCommand(dir, [
      'plan',
      '-input=false',
      '-no-color',
      '-out=empty.tfplan',
      ...first,
    ]);
    expect(summaryLines(empty)).toEqual([{ add: 0, change: 0, destroy: 0 }]);
    expect(parsePlanSummary(await engineCommand(dir, ['show', '-json', 'empty.tfplan']))).toEqual({
      add: 0,
      change: 0,
      destroy: 0,
    });
    const destroy = await engineCommand(dir, [
      'plan',
      '-destroy',
      '-input=false',
      '-no-color',
      '-out=d.tfplan',
      ...first,
    ]);
    const summary = parsePlanSummary(await engineCommand(dir, ['show', '-json', 'd.tfplan']));
    expect(summary).toEqual({ add: 0, change: 0, destroy: 3 });
    expect(summaryLines(destroy)).toEqual([summary]);
  });

  it('finds no summary line in a plan that only changes outputs (the run then asks show -json)', async () => {
    const human = await engineCommand(dir, [
      'plan',
      '-input=false',
      '-no-color',
      '-out=o.tfplan',
      ...first,
      '-var=password=other',
    ]);
    expect(human).toContain('Changes to Outputs:');
    expect(summaryLines(human)).toEqual([]);
  });

  it('lists the addresses of the resources a plan changes, in the engine’s order', async () => {
    const show = await engineCommand(dir, ['show', '-json', 'second.tfplan']);
    expect(changedAddresses(show)).toEqual([
      'terraform_data.added[0]',
      'terraform_data.removed[0]',
      'terraform_data.replaced',
      'terraform_data.updated',
    ]);
  });

  it('stores outputs with sensitive values replaced by (sensitive)', async () => {
    const outputs = parseOutputs(await engineCommand(dir, ['output', '-json']));
    expect(outputs).toEqual({ label: 'one', tags: { team: 'platform', size: 2 }, password: '(sensitive)' });
    expect(JSON.stringify(outputs)).not.toContain('hunter2-secret');
  });

  it('reads the same outputs from the state the engine stored as from output -json', async () => {
    const state = await readFile(path.join(dir, 'terraform.tfstate'), 'utf8');
    expect(parseStateOutputs(state)).toEqual(parseOutputs(await engineCommand(dir, ['output', '-json'])));
    expect(parseStateOutputs(state).password).toBe('(sensitive)');
    expect(parseStateOutputs(null)).toEqual({});
  });

  it('reads no summary from any other line', () => {
    expect(planSummaryLine('  # terraform_data.a will be created')).toBeNull();
    expect(planSummaryLine('Changes to Outputs:')).toBeNull();
  });

  it('ignores no-op and read actions', () => {
    const json = JSON.stringify({
      resource_changes: [{ change: { actions: ['no-op'] } }, { change: { actions: ['read'] } }, {}],
    });
    expect(parsePlanSummary(json)).toEqual({ add: 0, change: 0, destroy: 0 });
    expect(changedAddresses(json)).toEqual([]);
  });

  it('rejects output that is not JSON with a clear error', () => {
    expect(() => parsePlanSummary('Error: no plan')).toThrow(/show -json did not print valid JSON/);
  });
});
