/**
 * What the HTTP app needs from the rest of Tide, and nothing more: the daemon wires the real objects,
 * tests pass real stores with a manual clock. Each member is the narrowest shape the routes use.
 */
import type { EffectiveConfig } from '../config/effective-config.ts';
import type { EventHub } from '../events/event-hub.ts';
import type { Logger } from '../log/logger.ts';
import type { RunService } from '../run/run.service.ts';
import type { Db } from '../store/schema.ts';
import type { Clock } from '../time/clock.ts';

export interface ReadinessCheck {
  readonly ok: boolean;
  /** Why it fails (or what it found), for people reading the probe's answer. */
  readonly detail?: string;
}

export interface Readiness {
  readonly ok: boolean;
  /** By name: `database`, `migrations`, `config`, `scheduler`, `engine`, … */
  readonly checks: Readonly<Record<string, ReadinessCheck>>;
}

export interface ApiDeps {
  readonly db: Db;
  /** Followers subscribe to run logs and state changes; enable/disable announces workspace status. */
  readonly hub: Pick<EventHub, 'on' | 'off' | 'emit'>;
  readonly clock: Clock;
  /** The configuration in force now; called per request, so hot reloads show up at once. */
  config(): EffectiveConfig;
  readonly runs: Pick<RunService, 'enqueue' | 'cancel'>;
  readiness(): Promise<Readiness>;
  readonly logger: Logger;
}
