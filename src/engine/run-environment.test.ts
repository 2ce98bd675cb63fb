import { describe, expect, it } from 'vitest';
import { parseEnv } from '../env/env.schema.ts';
import { runEnvironment, withoutTideVariables } from './run-environment.ts';

const server = {
  PATH: '/usr/bin:/bin',
  HOME: '/home/tide',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  TZ: 'Europe/Paris',
  TMPDIR: '/var/tmp',
  HTTPS_PROXY: 'http://proxy:3128',
  no_proxy: 'localhost',
  TIDE_JWT_SECRET: 'jwt',
  TIDE_ENCRYPTION_KEY: 'key',
  TIDE_DATABASE_URL: 'postgres://tide:pw@db/tide',
  AWS_ACCESS_KEY_ID: 'AKIA',
  AWS_SECRET_ACCESS_KEY: 'aws-secret',
  TF_CLI_CONFIG_FILE: '/etc/tide/terraformrc',
  DATABASE_PASSWORD: 'other',
};

describe('runEnvironment', () => {
  it('passes PATH, HOME, locale, TZ, TMPDIR and proxies in either case, and nothing else by default', () => {
    expect(runEnvironment(server)).toEqual({
      PATH: '/usr/bin:/bin',
      HOME: '/home/tide',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      TZ: 'Europe/Paris',
      TMPDIR: '/var/tmp',
      HTTPS_PROXY: 'http://proxy:3128',
      no_proxy: 'localhost',
    });
  });

  it('passes what the operator names, by exact name or by prefix', () => {
    const env = runEnvironment(server, ['AWS_*', 'TF_CLI_CONFIG_FILE']);
    expect(env).toMatchObject({
      AWS_ACCESS_KEY_ID: 'AKIA',
      AWS_SECRET_ACCESS_KEY: 'aws-secret',
      TF_CLI_CONFIG_FILE: '/etc/tide/terraformrc',
    });
    expect(env).not.toHaveProperty('DATABASE_PASSWORD');
  });

  it('never passes a TIDE_* variable, even one the passthrough list names or matches', () => {
    const env = runEnvironment(server, ['TIDE_JWT_SECRET', 'T*', '_*', 'tide_*']);
    expect(Object.keys(env).filter((name) => name.toUpperCase().startsWith('TIDE_'))).toEqual([]);
  });

  it('drops the TIDE_* variables of a base environment and keeps the rest', () => {
    expect(withoutTideVariables({ PATH: '/bin', TIDE_JWT_SECRET: 'jwt', tide_x: 'y' })).toEqual({
      PATH: '/bin',
    });
  });
});

describe('TIDE_RUN_ENV_PASSTHROUGH', () => {
  const parse = (value: string) => parseEnv({ TIDE_RUN_ENV_PASSTHROUGH: value });

  it('reads a comma-separated list of names and prefixes', () => {
    const parsed = parse('AWS_*, TF_CLI_CONFIG_FILE,,GOOGLE_APPLICATION_CREDENTIALS');
    expect(parsed.ok && parsed.env.TIDE_RUN_ENV_PASSTHROUGH).toEqual([
      'AWS_*',
      'TF_CLI_CONFIG_FILE',
      'GOOGLE_APPLICATION_CREDENTIALS',
    ]);
    const unset = parseEnv({});
    expect(unset.ok && unset.env.TIDE_RUN_ENV_PASSTHROUGH).toEqual([]);
  });

  it("refuses entries that name or could match Tide's own settings, naming each", () => {
    const parsed = parse('AWS_*,TIDE_JWT_SECRET,TI*,tide_database_url');
    expect(parsed.ok).toBe(false);
    const errors = parsed.ok ? '' : parsed.errors.join('\n');
    expect(errors).toContain('TIDE_RUN_ENV_PASSTHROUGH');
    for (const entry of ['"TIDE_JWT_SECRET"', '"TI*"', '"tide_database_url"'])
      expect(errors).toContain(`${entry} would pass Tide's own TIDE_* settings`);
    expect(errors).not.toContain('AWS_*');
  });

  it('refuses a bare * and entries that are not variable names', () => {
    const parsed = parse('*,AWS-KEY,A*B');
    const errors = parsed.ok ? '' : parsed.errors.join('\n');
    expect(errors).toContain('"*" would pass the whole environment');
    expect(errors).toContain('"AWS-KEY" is not a variable name');
    expect(errors).toContain('"A*B" is not a variable name');
  });
});
