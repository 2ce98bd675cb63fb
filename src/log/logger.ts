import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Fields that hold credentials, censored wherever they are logged (docs/monitoring.md). Pino's `*` is one
 * level deep: `{ body: { password } }` is covered, `{ body: { user: { password } } }` is not, so log
 * credentials' parents, not deeper structures.
 */
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'res.headers["set-cookie"]',
  ...['password', 'refresh_token', 'access_token', 'token', 'client_secret'].flatMap((key) => [
    key,
    `*.${key}`,
  ]),
];

/**
 * JSON lines on stdout (SPEC §8); the field names are pino's defaults so log shippers parse them as-is.
 * `destination` replaces stdout (tests capture the output).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'tide' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...REDACTED_PATHS], censor: '[REDACTED]' },
    },
    destination,
  );
}
