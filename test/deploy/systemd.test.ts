/**
 * deploy/systemd/tide.service and tide.env.example: the unit is read as systemd reads it (an ini file)
 * and each option docs/deployment.md explains is checked; `systemd-analyze verify` and its offline
 * security review run on it where systemd-analyze is installed. The env example is parsed with Tide's own
 * settings schema: as shipped it must stop a production start on every missing secret, and with
 * generated secrets filled in it must start.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_GRACE_MS } from '../../src/engine/process-group.ts';
import { envVariables, parseEnv } from '../../src/env/env.schema.ts';
import { productionProblems } from '../../src/env/production-checks.ts';
import { parseDuration } from '../../src/time/duration.ts';

const root = path.resolve(import.meta.dirname, '../..');
const unitPath = path.join(root, 'deploy/systemd/tide.service');
const envExamplePath = path.join(root, 'deploy/systemd/tide.env.example');

type Unit = Record<string, Record<string, string[]>>;

/**
 * systemd's unit syntax: `[Section]`, `Key=value` (a key may repeat: every value is kept, in order),
 * `#` and `;` comments, a trailing `\` continues the line.
 */
function parseUnit(text: string): Unit {
  const unit: Unit = {};
  let section: Record<string, string[]> | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`;
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = unit[header[1]!] ??= {};
      continue;
    }
    const at = line.indexOf('=');
    if (at < 0 || section === null) throw new Error(`line ${i + 1}: expected Key=value inside a section`);
    const key = line.slice(0, at).trim();
    (section[key] ??= []).push(line.slice(at + 1).trim());
  }
  return unit;
}

/** `KEY=value` lines of an EnvironmentFile (no quotes, no expansion, `#` comments). */
function parseEnvFile(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match) throw new Error(`line ${index + 1}: expected VARIABLE=value`);
    values.set(match[1]!, match[2]!);
  }
  return values;
}

/** A systemd time span as used here (`90s`, `5s`, `2min`) in milliseconds. */
function timeSpanMs(text: string): number {
  const match = /^(\d+)(ms|s|min)?$/.exec(text);
  if (!match) throw new Error(`unsupported time span ${text}`);
  return Number(match[1]) * { ms: 1, s: 1000, min: 60_000 }[match[2] ?? 's']!;
}

const unitText = readFileSync(unitPath, 'utf8');
const unit = parseUnit(unitText);
const service = unit.Service!;
const one = (key: string): string | undefined => {
  const values = service[key];
  if (values && values.length > 1) throw new Error(`${key} is set ${values.length} times`);
  return values?.[0];
};
const unitEnvironment = new Map(
  (service.Environment ?? [])
    .flatMap((value) => value.split(/\s+/))
    .map((pair) => pair.split('=', 2) as [string, string]),
);
const envExample = parseEnvFile(readFileSync(envExamplePath, 'utf8'));

describe('deploy/systemd/tide.service', () => {
  it('parses as a unit with [Unit], [Service] and [Install]', () => {
    expect(Object.keys(unit)).toEqual(['Unit', 'Service', 'Install']);
    expect(unit.Unit!.After).toEqual(['network-online.target']);
    expect(unit.Unit!.Wants).toEqual(['network-online.target']);
    expect(unit.Install!.WantedBy).toEqual(['multi-user.target']);
  });

  it('is Type=simple because Tide does not speak sd_notify', () => {
    expect(one('Type')).toBe('simple');
    const sources = readdirSync(path.join(root, 'src'), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
      .map((file) => readFileSync(path.join(root, 'src', file), 'utf8'));
    // If this fails, Tide learned sd_notify: switch the unit to Type=notify.
    expect(sources.some((source) => source.includes('NOTIFY_SOCKET'))).toBe(false);
  });

  it('runs `tide serve` from /usr/bin as the tide user with the env file', () => {
    expect(one('ExecStart')).toBe('/usr/bin/tide serve');
    expect(one('User')).toBe('tide');
    expect(one('Group')).toBe('tide');
    expect(one('EnvironmentFile')).toBe('/etc/tide/tide.env');
  });

  it('keeps the data directory in the one writable path, created private by systemd', () => {
    const dataDir = unitEnvironment.get('TIDE_DATA_DIR');
    expect(dataDir).toBe('/var/lib/tide');
    expect(one('ReadWritePaths')).toBe(dataDir);
    expect(`/var/lib/${one('StateDirectory')}`).toBe(dataDir);
    expect(one('StateDirectoryMode')).toBe('0700');
    expect(one('WorkingDirectory')).toBe(dataDir);
    expect(unitEnvironment.get('TIDE_CONFIG_DIR')).toBe('/etc/tide/config');
    expect(one('UMask')).toBe('0077');
  });

  it('gives the graceful shutdown time to finish before systemd kills what is left of the cgroup', () => {
    // SIGTERM to Tide alone; SIGKILL to the whole cgroup after TimeoutStopSec (docs/deployment.md).
    expect(one('KillMode')).toBe('mixed');
    expect(one('KillSignal')).toBe('SIGTERM');
    const parsed = parseEnv({});
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const example = parseDuration(envExample.get('TIDE_SHUTDOWN_GRACE_PERIOD')!);
    if (!example.ok) throw new Error(example.error);
    const grace = Math.max(parsed.env.TIDE_SHUTDOWN_GRACE_PERIOD, example.ms);
    const margin = 15_000;
    expect(timeSpanMs(one('TimeoutStopSec')!)).toBeGreaterThanOrEqual(grace + DEFAULT_GRACE_MS + margin);
  });

  it('restarts on failure after a pause and raises the open-file limit', () => {
    expect(one('Restart')).toBe('on-failure');
    expect(timeSpanMs(one('RestartSec')!)).toBeGreaterThanOrEqual(1000);
    expect(Number(one('LimitNOFILE'))).toBeGreaterThanOrEqual(65_536);
  });

  it('sets every hardening option, with no capabilities at all', () => {
    const expected: Record<string, string> = {
      NoNewPrivileges: 'yes',
      CapabilityBoundingSet: '',
      AmbientCapabilities: '',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      PrivateDevices: 'yes',
      ProtectKernelTunables: 'yes',
      ProtectKernelModules: 'yes',
      ProtectKernelLogs: 'yes',
      ProtectControlGroups: 'yes',
      ProtectClock: 'yes',
      ProtectHostname: 'yes',
      RestrictSUIDSGID: 'yes',
      RestrictRealtime: 'yes',
      RestrictNamespaces: 'yes',
      LockPersonality: 'yes',
      SystemCallArchitectures: 'native',
    };
    for (const [key, value] of Object.entries(expected)) expect(one(key), key).toBe(value);
    expect(one('RestrictAddressFamilies')!.split(/\s+/).sort()).toEqual([
      'AF_INET',
      'AF_INET6',
      'AF_NETLINK',
      'AF_UNIX',
    ]);
  });

  it('allows writable-executable memory, which V8 needs, and says why next to it', () => {
    expect(one('MemoryDenyWriteExecute')).toBe('no');
    const lines = unitText.split('\n');
    const at = lines.findIndex((line) => line.startsWith('MemoryDenyWriteExecute='));
    expect(lines[at - 1]).toMatch(/^# .*JIT/);
  });

  it('sets each option once', () => {
    for (const [section, keys] of Object.entries(unit))
      for (const [key, values] of Object.entries(keys))
        if (key !== 'Environment') expect(values, `${section}.${key}`).toHaveLength(1);
  });

  describe.runIf(spawnSync('systemd-analyze', ['--version']).status === 0)('systemd-analyze', () => {
    /**
     * A root holding the unit, an executable at /usr/bin/tide (verify checks ExecStart is executable, not
     * what it runs) and the system's targets and slices the unit refers to.
     */
    function fakeRoot(): string {
      const dir = mkdtempSync(path.join(tmpdir(), 'tide-systemd-'));
      mkdirSync(path.join(dir, 'usr/bin'), { recursive: true });
      mkdirSync(path.join(dir, 'etc/systemd/system'), { recursive: true });
      mkdirSync(path.join(dir, 'usr/lib/systemd/system'), { recursive: true });
      writeFileSync(path.join(dir, 'usr/bin/tide'), '#!/bin/sh\n');
      chmodSync(path.join(dir, 'usr/bin/tide'), 0o755);
      copyFileSync(unitPath, path.join(dir, 'etc/systemd/system/tide.service'));
      const units = '/usr/lib/systemd/system';
      for (const file of readdirSync(units).filter((f) => f.endsWith('.target') || f.endsWith('.slice')))
        copyFileSync(path.join(units, file), path.join(dir, 'usr/lib/systemd/system', file));
      return dir;
    }

    it('verify reports nothing: no unknown option, no bad value', () => {
      const dir = fakeRoot();
      try {
        const result = spawnSync('systemd-analyze', ['verify', `--root=${dir}`, 'tide.service'], {
          encoding: 'utf8',
        });
        expect(result.stdout + result.stderr).toBe('');
        expect(result.status).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('the offline security review rates the exposure low (at most 4 of 10)', () => {
      const dir = fakeRoot();
      try {
        const output = execFileSync(
          'systemd-analyze',
          ['security', '--offline=true', `--root=${dir}`, 'tide.service'],
          {
            encoding: 'utf8',
          },
        );
        const exposure = /Overall exposure level for tide\.service: ([\d.]+)/.exec(output);
        expect(exposure, output).not.toBeNull();
        expect(Number(exposure![1])).toBeLessThanOrEqual(4);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

describe('deploy/systemd/tide.env.example', () => {
  const known = new Set<string>(envVariables.map((variable) => variable.name));
  const secrets = envVariables.filter((variable) => 'secret' in variable && variable.secret);
  const required = secrets.filter((variable) => !('optional' in variable && variable.optional));

  it('names only Tide settings, and neither the data nor the config directory the unit sets', () => {
    for (const name of envExample.keys()) expect(known.has(name), `${name} is a Tide setting`).toBe(true);
    expect(envExample.has('TIDE_DATA_DIR')).toBe(false);
    expect(envExample.has('TIDE_CONFIG_DIR')).toBe(false);
    expect(envExample.has('TIDE_TOKEN')).toBe(false);
  });

  it('lists every secret empty, with the command that generates it', () => {
    const text = readFileSync(envExamplePath, 'utf8').split('\n');
    for (const secret of secrets) {
      expect(envExample.get(secret.name), secret.name).toBe('');
      if (required.includes(secret)) {
        const at = text.indexOf(`${secret.name}=`);
        expect(text[at - 1], `${secret.name}: how to generate`).toMatch(/Generate: openssl rand -base64 \d+/);
      }
    }
  });

  it('as shipped, stops a production start naming every missing secret', () => {
    const parsed = parseEnv(Object.fromEntries(envExample));
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    expect(parsed.env.TIDE_ENV).toBe('production');
    expect(productionProblems(parsed.env)).toEqual(required.map((variable) => `${variable.name} is not set`));
  });

  it('with the secrets generated as it says, is a valid production configuration', () => {
    const filled = Object.fromEntries(envExample);
    for (const secret of required)
      filled[secret.name] = randomBytes(secret.name === 'TIDE_ENCRYPTION_KEY' ? 32 : 48).toString('base64');
    const parsed = parseEnv(filled);
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    expect(productionProblems(parsed.env)).toEqual([]);
  });
});
