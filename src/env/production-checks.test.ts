import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { envVariables, parseEnv, type EnvVariable, type TideEnv } from './env.schema.ts';
import { assertProductionReady, productionProblems, secretWeakness } from './production-checks.ts';

const strongKey = randomBytes(32).toString('base64');

function env(source: Record<string, string>): TideEnv {
  const parsed = parseEnv(source);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.env;
}

/** Names of the real schema's `secret: true` variables. */
const secretNames = (envVariables as readonly EnvVariable[]).filter((v) => v.secret).map((v) => v.name);

/** Every secret of the real schema, each given a strong value. */
function strongSecrets(): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of secretNames) values[name] = randomBytes(48).toString('base64');
  values.TIDE_ENCRYPTION_KEY = strongKey;
  return values;
}

describe('secretWeakness', () => {
  it('accepts generated secrets: random base64, hex, base64url and raw key bytes', () => {
    for (let i = 0; i < 200; i++) {
      for (const text of [
        randomBytes(32).toString('base64'),
        randomBytes(32).toString('hex'),
        randomBytes(24).toString('base64url'),
      ]) {
        expect(secretWeakness(Buffer.from(text), 32, text), text).toBeNull();
      }
      expect(secretWeakness(randomBytes(32), 32)).toBeNull();
    }
  });

  it('names what is wrong with short, placeholder and low-variety values', () => {
    const cases: Array<[string, RegExp]> = [
      ['tooshort-but-random-9f3k', /is 24 bytes; at least 32 are required/],
      ['please-changeme-before-going-live-0123', /contains "changeme"/],
      ['my-jwt-secret-value-for-tide-prod-2027', /contains "secret"/],
      ['a'.repeat(40), /fewer than 8 distinct/],
      ['abcdefghijklmnopqrstuvwxyzABCDEFGHIJ', /a run such as abcdef/],
      ['k8Zq!x7W#p'.repeat(4), /a short pattern repeated/],
      ['hunter2hunter2hunter2hunter2hunter2x', /too few different characters/],
    ];
    for (const [text, reason] of cases)
      expect(secretWeakness(Buffer.from(text), 32, text), text).toMatch(reason);
  });

  it('judges a decoded key by its bytes: an all-zero or repeated key is weak whatever its encoding', () => {
    expect(secretWeakness(Buffer.alloc(32), 32)).toMatch(/low variety/);
    expect(secretWeakness(Buffer.alloc(32, 0xab), 32)).toMatch(/low variety/);
  });
});

describe('productionProblems', () => {
  const variables: EnvVariable[] = [
    { name: 'A_SECRET', description: '', example: '', schema: {} as never, secret: true, minBytes: 32 },
    { name: 'A_KEY', description: '', example: '', schema: {} as never, secret: true, minBytes: 32 },
    { name: 'NOT_SECRET', description: '', example: '', schema: {} as never },
  ];

  it('names every missing or weak secret at once, and ignores variables not flagged secret', () => {
    expect(productionProblems({ A_SECRET: 'short', NOT_SECRET: undefined }, variables)).toEqual([
      'A_SECRET is 5 bytes; at least 32 are required',
      'A_KEY is not set',
    ]);
    expect(
      productionProblems({ A_SECRET: randomBytes(32).toString('hex'), A_KEY: randomBytes(32) }, variables),
    ).toEqual([]);
  });

  it('leaves an optional secret (a feature turned off) unset, but checks it once it is set', () => {
    const optional: EnvVariable[] = [
      {
        name: 'A_FEATURE_SECRET',
        description: '',
        example: '',
        schema: {} as never,
        secret: true,
        optional: true,
        minBytes: 16,
      },
    ];
    expect(productionProblems({}, optional)).toEqual([]);
    expect(productionProblems({ A_FEATURE_SECRET: 'changeme-changeme' }, optional)).toEqual([
      'A_FEATURE_SECRET contains "changeme", so it looks like a placeholder',
    ]);
  });

  it('flags TIDE_ENCRYPTION_KEY in the real schema', () => {
    expect(secretNames).toContain('TIDE_ENCRYPTION_KEY');
  });
});

describe('assertProductionReady', () => {
  it('does nothing in development, whatever the secrets', () => {
    expect(() => assertProductionReady(env({}))).not.toThrow();
  });

  it('refuses production with a missing or weak secret, naming each', () => {
    const weakKey = env({ TIDE_ENV: 'production', ...strongSecrets(), TIDE_ENCRYPTION_KEY: '00'.repeat(32) });
    expect(() => assertProductionReady(weakKey)).toThrow(
      /refusing to start with TIDE_ENV=production: TIDE_ENCRYPTION_KEY has low variety/,
    );
    const { TIDE_ENCRYPTION_KEY: _omitted, ...withoutKey } = strongSecrets();
    expect(() => assertProductionReady(env({ TIDE_ENV: 'production', ...withoutKey }))).toThrow(
      'TIDE_ENCRYPTION_KEY is not set',
    );
  });

  it('starts production with strong secrets', () => {
    expect(() => assertProductionReady(env({ TIDE_ENV: 'production', ...strongSecrets() }))).not.toThrow();
  });

  it('leaves a malformed key to the env schema, which names it', () => {
    const parsed = parseEnv({ TIDE_ENV: 'production', TIDE_ENCRYPTION_KEY: 'not-a-key' });
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? [] : parsed.errors).toEqual([
      expect.stringMatching(/^TIDE_ENCRYPTION_KEY: expected 32 bytes/),
    ]);
  });
});
