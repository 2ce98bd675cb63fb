/**
 * Config files near the workspace schema — valid shapes with random mutations, other formats, garbage —
 * through the real loader: it never throws, every problem names its file and says something, and a
 * workspace is in the snapshot exactly when it has no error (a rejected one never slips in, a valid one
 * is never blocked by its neighbours).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigDirectory } from '../../src/config/config-loader.ts';

const WORKSPACES = ['alpha', 'beta', 'gamma'] as const;

const others = (self: string) => WORKSPACES.filter((name) => name !== self);
const validCron = fc.constantFrom('0 8 * * 1-5', '*/15 * * * *', '0 19 * * *', '@daily', '30 7 1 * *');
const validSchedule = fc.oneof(
  validCron,
  fc.array(validCron, { minLength: 1, maxLength: 3 }),
  fc.constant(false),
);
const validDuration = fc.constantFrom('30m', '2h', '1d', '90s');
const validWindow = fc.record(
  {
    days: fc.constantFrom('mon-fri', '*', 'sat,sun'),
    from: fc.constantFrom('07:00', '08:30', '00:00'),
    to: fc.constantFrom('19:00', '24:00', '06:00'),
  },
  { requiredKeys: ['from', 'to'] },
);
const json = fc.jsonValue({ maxDepth: 2 });

/** A workspace config that is valid on its own (depends_on may still form a cycle with a neighbour). */
const validWorkspace = (self: string) =>
  fc
    .record(
      {
        enabled: fc.boolean(),
        description: fc.string({ unit: 'grapheme', maxLength: 40 }),
        timing: fc.oneof(
          fc.record(
            { deploy_schedule: validSchedule, destroy_schedule: validSchedule },
            { requiredKeys: [] },
          ),
          fc.record({ uptime: fc.array(validWindow, { minLength: 1, maxLength: 2 }), enforce: fc.boolean() }),
        ),
        timezone: fc.constantFrom('UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata'),
        variables: fc.dictionary(fc.constantFrom('region', 'size', 'owner'), json, { maxKeys: 3 }),
        sensitive_variables: fc.subarray(['api_token', 'db_password']),
        depends_on: fc.subarray(others(self)),
        ttl: validDuration,
        protect: fc.boolean(),
        hourly_cost: fc.double({ min: 0, max: 100, noNaN: true }),
        labels: fc.dictionary(fc.constantFrom('team', 'env'), fc.string({ maxLength: 10 }), { maxKeys: 2 }),
        policy: fc.record(
          {
            catch_up: fc.constantFrom('latest', 'none'),
            concurrency: fc.constantFrom('queue', 'skip', 'replace'),
            retries: fc.integer({ min: 0, max: 5 }),
            timeout: validDuration,
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    )
    .map(({ timing, ...rest }) => ({ ...rest, ...timing }) as Record<string, unknown>);

/** Values one edit away from valid, per field: the mistakes people make. */
const nearMisses: Record<string, fc.Arbitrary<unknown>> = {
  enabled: fc.constantFrom('yes', 1, null),
  deploy_schedule: fc.constantFrom('0 9 * * 8', 'not cron', '61 * * * *', [], true),
  uptime: fc.constantFrom(
    [],
    [{ from: '25:00', to: '19:00' }],
    [{ days: 'funday', from: '07:00', to: '19:00' }],
  ),
  timezone: fc.constantFrom('Mars/Olympus', 'utc+2', ''),
  variables: fc.constantFrom({ api_token: 'in a file' }, { 'bad name': 1 }, 'region=eu'),
  sensitive_variables: fc.constantFrom(['9lives'], 'api_token', [1]),
  depends_on: fc.constantFrom(['ghost'], ['Bad Name'], ['../etc']),
  template: fc.constantFrom('ghost', '../../etc'),
  calendar: fc.constantFrom('holidays', ['ghost']),
  ttl: fc.constantFrom('soon', '-5m', 5),
  hourly_cost: fc.constantFrom(-1, '2.5'),
  policy: fc.constantFrom({ concurrency: 'wat' }, { retries: -1 }, { catch_up: 'all' }),
  unknown_field: fc.anything({ maxDepth: 2 }),
  __proto__: fc.constantFrom({ polluted: true }, 'x'),
  constructor: fc.constantFrom({ prototype: { polluted: true } }),
};

type Mutation = { op: 'set'; key: string; value: unknown } | { op: 'delete'; key: string };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc
    .constantFrom(...Object.keys(nearMisses))
    .chain((key) => nearMisses[key]!.map((value): Mutation => ({ op: 'set', key, value }))),
  fc.record({
    op: fc.constant('set' as const),
    key: fc.constantFrom('enabled', 'uptime', 'policy', 'jobs', 'modes'),
    value: fc.anything({ maxDepth: 2 }),
  }),
  fc.record({
    op: fc.constant('delete' as const),
    key: fc.constantFrom('enabled', 'deploy_schedule', 'uptime'),
  }),
);

function mutate(shape: Record<string, unknown>, mutations: readonly Mutation[]): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...shape };
  for (const change of mutations) {
    // defineProperty: `__proto__` becomes an own key, as JSON.parse makes it, not a prototype change.
    if (change.op === 'set')
      Object.defineProperty(copy, change.key, {
        value: change.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else delete copy[change.key];
  }
  return copy;
}

/** One workspace folder: a config (valid, or with a few mistakes) in some format, maybe two, maybe garbage. */
const folder = (self: string) =>
  fc.record({
    config: fc
      .tuple(
        validWorkspace(self),
        fc.oneof(
          { weight: 2, arbitrary: fc.constant([]) },
          fc.array(mutation, { minLength: 1, maxLength: 2 }),
        ),
      )
      .map(([shape, changes]) => mutate(shape, changes)),
    format: fc.constantFrom('json', 'json', 'json', 'yaml', 'yaml', 'garbage', 'both', 'none'),
    garbage: fc.string({ unit: 'binary', maxLength: 60 }),
  });

describe('config loader under random files', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'tide-fuzz-config-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('never throws, explains every problem, and keeps exactly the error-free workspaces', async () => {
    await fc.assert(
      fc.asyncProperty(fc.tuple(...WORKSPACES.map(folder)), async (folders) => {
        rmSync(path.join(root, 'workspaces'), { recursive: true, force: true });
        folders.forEach((spec, index) => {
          const dir = path.join(root, 'workspaces', WORKSPACES[index]!);
          mkdirSync(dir, { recursive: true });
          writeFileSync(path.join(dir, 'main.tf'), 'resource "terraform_data" "x" {}\n');
          const text = JSON.stringify(spec.config);
          if (spec.format === 'json' || spec.format === 'both')
            writeFileSync(path.join(dir, 'config.json'), text);
          if (spec.format === 'yaml' || spec.format === 'both')
            writeFileSync(path.join(dir, 'config.yaml'), toYaml(JSON.parse(text)));
          if (spec.format === 'garbage') writeFileSync(path.join(dir, 'config.json'), spec.garbage);
        });

        const { snapshot } = await loadConfigDirectory(root, { defaultTimeZone: 'UTC' });

        for (const problem of snapshot.problems) {
          expect(problem.file, JSON.stringify(problem)).toMatch(/\S/);
          expect(problem.message, JSON.stringify(problem)).toMatch(/\S/);
        }
        // `__proto__` / `constructor.prototype` keys in a file never reach Object.prototype.
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        for (const name of WORKSPACES) {
          const rejected = snapshot.problems.some(
            (p) => p.severity === 'error' && p.unit.kind === 'workspace' && p.unit.name === name,
          );
          expect(snapshot.workspaces.has(name), `${name}: ${JSON.stringify(snapshot.problems)}`).toBe(
            !rejected,
          );
        }
      }),
      { numRuns: 150, seed: 20270315 },
    );
  });
});
