import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declaredVariables, hclVariableNames, jsonVariableNames } from './declared-variables.ts';

describe('hclVariableNames', () => {
  it('finds top-level variable blocks, quoted or bare, one-line or not', () => {
    const hcl = `
variable "region" {
  type    = string
  default = "eu"
}
variable size { type = number }
variable "a" {} variable "b" {}
`;
    expect(hclVariableNames(hcl)).toEqual(['region', 'size', 'a', 'b']);
  });

  it('ignores variable blocks in comments of every kind', () => {
    const hcl = `
# variable "hash" {}
// variable "slashes" {}
/* variable "block" {}
   variable "block2" {} */
variable "real" {} # variable "trailing" {}
`;
    expect(hclVariableNames(hcl)).toEqual(['real']);
  });

  it('ignores the words inside strings, templates and heredocs', () => {
    const hcl = `
locals {
  a = "variable \\"quoted\\" {"
  b = "\${ { k = "variable \\"x\\" {" }["k"] } and } braces {"
  c = "$\${literal} variable \\"y\\" {"
}
resource "terraform_data" "x" {
  input = <<-EOT
    }
    variable "in_heredoc" {
    }
    EOT
}
variable "after" {}
`;
    expect(hclVariableNames(hcl)).toEqual(['after']);
  });

  it('ignores variable blocks nested in other blocks and variable as a label', () => {
    const hcl = `
module "m" {
  source = "./m"
  variable "nested" {}
}
resource "variable" "x" {}
resource variable y {}
variable "top" {}
`;
    expect(hclVariableNames(hcl)).toEqual(['top']);
  });
});

describe('jsonVariableNames', () => {
  it('reads variable objects, also as a list, leaving out // comments', () => {
    expect(jsonVariableNames('{"variable": {"//": "note", "region": {}, "size": {"default": 1}}}')).toEqual([
      'region',
      'size',
    ]);
    expect(jsonVariableNames('{"variable": [{"a": {}}, {"b": {}}]}')).toEqual(['a', 'b']);
    expect(jsonVariableNames('{"resource": {"variable": {"x": {}}}}')).toEqual([]);
    expect(jsonVariableNames('not json')).toEqual([]);
  });
});

describe('declaredVariables', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'tide-declared-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads the top-level .tf, .tofu, .tf.json and .tofu.json files, not modules or other files', async () => {
    const dir = path.join(root, 'module');
    await mkdir(path.join(dir, 'modules', 'net'), { recursive: true });
    await writeFile(path.join(dir, 'main.tf'), 'variable "from_tf" {}\n');
    await writeFile(path.join(dir, 'main.tofu'), 'variable "from_tofu" {}\n');
    await writeFile(path.join(dir, 'vars.tf.json'), '{"variable": {"from_json": {}}}');
    await writeFile(path.join(dir, 'vars.tofu.json'), '{"variable": {"from_tofu_json": {}}}');
    await writeFile(path.join(dir, 'modules', 'net', 'net.tf'), 'variable "in_module" {}\n');
    await writeFile(path.join(dir, 'notes.txt'), 'variable "in_text" {}\n');
    expect([...((await declaredVariables(dir)) ?? [])].sort()).toEqual([
      'from_json',
      'from_tf',
      'from_tofu',
      'from_tofu_json',
    ]);
  });

  it('says it cannot tell when the directory holds no engine code', async () => {
    const dir = path.join(root, 'scripts-only');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'deploy.sh'), '#!/bin/sh\n');
    expect(await declaredVariables(dir)).toBeNull();
  });
});
