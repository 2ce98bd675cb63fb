import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout (SPEC §8); the field names are pino's defaults so log shippers parse them as-is. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'tide' }, timestamp: pino.stdTimeFunctions.isoTime });
}
