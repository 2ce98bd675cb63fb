import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TideError } from '../errors/tide-error.ts';
import { discoverEngine, findOnPath, parseVersion } from './engine.ts';

let dir: string;
let terraformDir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tide-engine-'));
  const terraform = await findOnPath('terraform', process.env.PATH ?? '');
  if (!terraform) throw new Error('these tests need terraform on PATH');
  terraformDir = path.dirname(terraform);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function script(name: string, body: string): Promise<string> {
  const folder = await mkdtemp(path.join(dir, 'bin-'));
  const file = path.join(folder, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

async function engineError(promise: Promise<unknown>): Promise<TideError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TideError);
  expect((error as TideError).code).toBe('engine_not_found');
  return error as TideError;
}

describe('discoverEngine', () => {
  it('finds terraform on PATH when there is no tofu, with its version', async () => {
    const engine = await discoverEngine({ tofuBin: undefined, path: `/nonexistent:${terraformDir}` });
    expect(engine).toMatchObject({ name: 'terraform', bin: path.join(terraformDir, 'terraform') });
    expect(engine.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('prefers tofu over terraform on PATH (a stand-in tofu script: OpenTofu is not installed here)', async () => {
    const tofu = await script('tofu', `echo '{"terraform_version":"1.8.3","platform":"linux_amd64"}'`);
    const engine = await discoverEngine({
      tofuBin: undefined,
      path: `${terraformDir}:${path.dirname(tofu)}`,
    });
    expect(engine).toEqual({ bin: tofu, name: 'tofu', version: '1.8.3' });
  });

  it('uses TIDE_TOFU_BIN before anything on PATH', async () => {
    const engine = await discoverEngine({ tofuBin: path.join(terraformDir, 'terraform'), path: '' });
    expect(engine.name).toBe('terraform');
  });

  it('falls back to plain `version` for an engine without -json (a stand-in script: old engine)', async () => {
    const old = await script(
      'tofu',
      `[ "$2" = "-json" ] && exit 1; echo 'OpenTofu v1.6.0'; echo 'on linux_amd64'`,
    );
    expect(await discoverEngine({ tofuBin: old })).toEqual({ bin: old, name: 'tofu', version: '1.6.0' });
  });

  it('reports a TIDE_TOFU_BIN that does not exist, without falling back to PATH', async () => {
    const error = await engineError(discoverEngine({ tofuBin: '/opt/nowhere/tofu', path: terraformDir }));
    expect(error.message).toContain('TIDE_TOFU_BIN=/opt/nowhere/tofu does not exist');
    expect(error.httpStatus).toBe(503);
    expect(error.exitCode).toBe(5);
  });

  it('names everything it tried when no engine is found', async () => {
    const empty = await mkdtemp(path.join(dir, 'empty-'));
    const error = await engineError(discoverEngine({ tofuBin: undefined, path: empty }));
    expect(error.message).toContain('TIDE_TOFU_BIN is not set');
    expect(error.message).toContain(`no tofu on PATH (${empty})`);
    expect(error.message).toContain(`no terraform on PATH (${empty})`);
  });

  it('reports a hanging engine as an error within the time limit (a stand-in script that never answers)', async () => {
    const hanging = await script('tofu', 'exec sleep 60');
    const started = Date.now();
    const error = await engineError(discoverEngine({ tofuBin: hanging, timeoutMs: 300 }));
    expect(error.message).toContain('did not answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('skips a directory entry that is not an executable file', async () => {
    const folder = await mkdtemp(path.join(dir, 'plain-'));
    await mkdir(path.join(folder, 'tofu'));
    await writeFile(path.join(folder, 'terraform'), 'not executable');
    expect(await findOnPath('tofu', folder)).toBeNull();
    expect(await findOnPath('terraform', folder)).toBeNull();
  });
});

describe('parseVersion', () => {
  it('reads version -json and the plain text of either engine', () => {
    expect(parseVersion('{"terraform_version":"1.11.4"}')).toBe('1.11.4');
    expect(parseVersion('Terraform v1.5.7\non linux_amd64')).toBe('1.5.7');
    expect(parseVersion('OpenTofu v1.9.0-beta1\n')).toBe('1.9.0-beta1');
    expect(parseVersion('garbage')).toBeNull();
  });
});
