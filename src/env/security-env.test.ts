import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseEnv } from './env.schema.ts';

function errorsOf(source: Record<string, string>): string[] {
  const parsed = parseEnv(source);
  return parsed.ok ? [] : parsed.errors;
}

describe('security environment variables', () => {
  it('defaults to development, no CORS origins, no previous keys and no encryption key', () => {
    const parsed = parseEnv({});
    expect(parsed.ok && parsed.env).toMatchObject({
      TIDE_ENV: 'development',
      TIDE_CORS_ORIGINS: [],
      TIDE_ENCRYPTION_KEY_PREVIOUS: [],
      TIDE_ENCRYPTION_KEY: undefined,
      TIDE_PUBLIC_URL: undefined,
    });
  });

  it('decodes the encryption key and the previous keys', () => {
    const [current, old1, old2] = [randomBytes(32), randomBytes(32), randomBytes(32)];
    const parsed = parseEnv({
      TIDE_ENCRYPTION_KEY: current.toString('base64'),
      TIDE_ENCRYPTION_KEY_PREVIOUS: `${old1.toString('hex')}, ${old2.toString('base64')}`,
    });
    expect(parsed.ok && parsed.env.TIDE_ENCRYPTION_KEY).toEqual(current);
    expect(parsed.ok && parsed.env.TIDE_ENCRYPTION_KEY_PREVIOUS).toEqual([old1, old2]);
  });

  it('splits CORS origins on commas and accepts only exact origins', () => {
    const parsed = parseEnv({ TIDE_CORS_ORIGINS: 'https://a.example.com, http://localhost:5173,' });
    expect(parsed.ok && parsed.env.TIDE_CORS_ORIGINS).toEqual([
      'https://a.example.com',
      'http://localhost:5173',
    ]);
    expect(
      errorsOf({ TIDE_CORS_ORIGINS: 'https://a.example.com/, *, a.example.com, ftp://x.example' }),
    ).toEqual([
      'TIDE_CORS_ORIGINS: "https://a.example.com/" is not an exact origin: scheme://host[:port], no path or trailing slash; ' +
        '"*" is not an exact origin: scheme://host[:port], no path or trailing slash; ' +
        '"a.example.com" is not an exact origin: scheme://host[:port], no path or trailing slash; ' +
        '"ftp://x.example" is not an exact origin: scheme://host[:port], no path or trailing slash',
    ]);
  });

  it('names a malformed key, a wrong TIDE_ENV and a non-http public URL', () => {
    expect(
      errorsOf({
        TIDE_ENCRYPTION_KEY: 'abc',
        TIDE_ENV: 'prod',
        TIDE_PUBLIC_URL: 'ftp://tide.example.com',
      }).map((error) => error.split(':')[0]),
    ).toEqual(['TIDE_ENV', 'TIDE_PUBLIC_URL', 'TIDE_ENCRYPTION_KEY']);
  });
});
