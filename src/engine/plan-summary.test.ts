import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOutputs } from './outputs.ts';
import { changedAddresses, parsePlanSummary } from './plan-summary.ts';
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

  it('counts creates of a first plan as adds', async () => {
    await engineCommand(dir, ['plan', '-input=false', '-no-color', '-out=first.tfplan', ...first]);
    const summary = parsePlanSummary(await engineCommand(dir, ['show', '-json', 'first.tfplan']));
    expect(summary).toEqual({ add: 3, change: 0, destroy: 0 });
  });

  it('counts a replacement as one add and one destroy, next to an update, a removal and an addition', async () => {
    await engineCommand(dir, ['apply', '-input=false', '-no-color', 'first.tfplan']);
    await engineCommand(dir, ['plan', '-input=false', '-no-color', '-out=second.tfplan', ...second]);
    const summary = parsePlanSummary(await engineCommand(dir, ['show', '-json', 'second.tfplan']));
    expect(summary).toEqual({ add: 2, change: 1, destroy: 2 });
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
