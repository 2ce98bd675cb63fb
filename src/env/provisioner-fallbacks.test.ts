import { describe, expect, it } from 'vitest';
import { runTideInProcess as tide } from '../../test/helpers/run-cli.ts';
import { parseEnv } from './env.schema.ts';
import { applyProvisionerFallbacks } from './provisioner-fallbacks.ts';

describe("the Provisioner's directory variables", () => {
  it('stand in for unset TIDE_CONFIG_DIR and TIDE_DATA_DIR, each with a deprecation notice', () => {
    const result = applyProvisionerFallbacks({
      PROVISIONER_CONFIG_DIR: '/etc/provisioner',
      PROVISIONER_STATE_DIR: '/var/lib/provisioner',
    });
    expect(result.env).toMatchObject({
      TIDE_CONFIG_DIR: '/etc/provisioner',
      TIDE_DATA_DIR: '/var/lib/provisioner',
    });
    expect(result.notices).toEqual([
      'PROVISIONER_CONFIG_DIR is deprecated: read as TIDE_CONFIG_DIR=/etc/provisioner; set TIDE_CONFIG_DIR instead',
      'PROVISIONER_STATE_DIR is deprecated: read as TIDE_DATA_DIR=/var/lib/provisioner; set TIDE_DATA_DIR instead',
    ]);
  });

  it('lose to the Tide variables, and say they are ignored', () => {
    const result = applyProvisionerFallbacks({
      PROVISIONER_STATE_DIR: '/var/lib/provisioner',
      TIDE_DATA_DIR: '/d',
    });
    expect(result.env.TIDE_DATA_DIR).toBe('/d');
    expect(result.notices).toEqual(['PROVISIONER_STATE_DIR is deprecated and ignored: TIDE_DATA_DIR is set']);
  });

  it('are not read when unset or empty, like every variable', () => {
    const result = applyProvisionerFallbacks({ PROVISIONER_CONFIG_DIR: '', TIDE_PORT: '1' });
    expect(result).toEqual({ env: { PROVISIONER_CONFIG_DIR: '', TIDE_PORT: '1' }, notices: [] });
  });

  it('reach the parsed environment', () => {
    const parsed = parseEnv({ PROVISIONER_STATE_DIR: '/var/lib/provisioner' });
    expect(parsed.ok && parsed.env.TIDE_DATA_DIR).toBe('/var/lib/provisioner');
  });

  it('name the config directory of a command, with the notice on stderr', async () => {
    const result = await tide(['validate'], {
      env: { PROVISIONER_CONFIG_DIR: 'test/fixtures/provisioner-examples/written-by-go' },
    });
    expect(result.stderr).toBe(
      'tide: warning: PROVISIONER_CONFIG_DIR is deprecated: read as TIDE_CONFIG_DIR=test/fixtures/provisioner-examples/written-by-go; set TIDE_CONFIG_DIR instead\n',
    );
    expect(result.stdout).toMatch(/^ok: .*written-by-go: 4 workspaces/);
    expect(result.status).toBe(0);
  });
});
